package googlefake

import (
	"slices"
	"strings"
	"time"
)

const docMime = "application/vnd.google-apps.document"

// file is a Drive file; Google Docs are files with a document behind them.
type file struct {
	id, name, mimeType, owner string
	appProperties             map[string]any
	perms                     []*permission
	modified                  time.Time
}

type permission struct {
	id, typ, role, email string
	notified             bool // sendNotificationEmail was not false
}

// Permission is a grant on a file, for tests.
type Permission struct {
	Email    string
	Role     string
	Notified bool // Drive emailed the grantee
}

var roleRank = map[string]int{"reader": 1, "commenter": 2, "writer": 3, "fileOrganizer": 4, "organizer": 4, "owner": 5}

// role is what email may do with f.
func (f *file) role(email string) int {
	best := 0
	for _, p := range f.perms {
		if p.email == email || p.typ == "anyone" {
			best = max(best, roleRank[p.role])
		}
	}
	return best
}

func (s *Server) newFile(name, mime, owner string) *file {
	f := &file{id: s.newID("file"), name: name, mimeType: mime, owner: owner,
		perms: []*permission{{id: s.newID("perm"), typ: "user", role: "owner", email: owner}}}
	f.modified = s.now()
	s.files[f.id] = f
	return f
}

// CreateDoc makes a Google Doc owned by owner holding text (one paragraph a
// line), such as an operator's template, and returns its id.
func (s *Server) CreateDoc(owner, title, text string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.newFile(title, docMime, owner)
	d := newDocument(f.id, title)
	if text != "" {
		d.insert(1, strings.TrimSuffix(text, "\n"))
	}
	s.docs[f.id] = d
	return f.id
}

// ShareFile grants email a role on a file without telling them.
func (s *Server) ShareFile(fileID, email, role string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.files[fileID]
	f.perms = append(f.perms, &permission{id: s.newID("perm"), typ: "user", role: role, email: email})
}

// RefuseShare makes permissions.create for email answer with fault, every
// time, as a domain's sharing policy does for an outside address; the
// zero Fault lifts it.
func (s *Server) RefuseShare(email string, fault Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if fault.Code == 0 {
		delete(s.refusals, email)
		return
	}
	s.refusals[email] = fault
}

// FileName is a file's name.
func (s *Server) FileName(fileID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.files[fileID].name
}

// AddFile makes a file owned by owner (a Meet recording, say) and returns its id.
func (s *Server) AddFile(owner, name, mime string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newFile(name, mime, owner).id
}

// Permissions lists the grants on a file other than its owner's.
func (s *Server) Permissions(fileID string) []Permission {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Permission
	for _, p := range s.files[fileID].perms {
		if p.role != "owner" {
			out = append(out, Permission{Email: p.email, Role: p.role, Notified: p.notified})
		}
	}
	return out
}

// Roles lists every grant of email on a file, the owner's included.
func (s *Server) Roles(fileID, email string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, p := range s.files[fileID].perms {
		if p.email == email {
			out = append(out, p.role)
		}
	}
	return out
}

// Files lists the ids of every file, in order.
func (s *Server) Files() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return sortedKeys(s.files)
}

func (s *Server) fileFor(c *call, need int) (*file, error) {
	f := s.files[c.path["fileId"]]
	if f == nil || f.role(c.who) == 0 {
		return nil, errorf(404, "notFound", "File not found: %s.", c.path["fileId"])
	}
	if f.role(c.who) < need {
		return nil, errorf(403, "insufficientFilePermissions", "The user does not have sufficient permissions for this file.")
	}
	return f, nil
}

// fileView is a file as Drive answers: the default fields, or those asked for.
func (s *Server) fileView(f *file, fields string) map[string]any {
	all := map[string]any{"kind": "drive#file", "id": f.id, "name": f.name, "mimeType": f.mimeType,
		"webViewLink": webViewLink(f), "modifiedTime": rfc3339(f.modified)}
	if len(f.appProperties) > 0 {
		all["appProperties"] = f.appProperties
	}
	return partial(all, fields, []string{"kind", "id", "name", "mimeType"})
}

// partial keeps the top-level fields a fields parameter names (or the
// defaults without one).
func partial(all map[string]any, fields string, defaults []string) map[string]any {
	keep := defaults
	if fields != "" && fields != "*" {
		keep = nil
		for _, f := range strings.Split(fields, ",") {
			keep = append(keep, strings.TrimSpace(strings.SplitN(f, "(", 2)[0]))
		}
	} else if fields == "*" {
		return all
	}
	out := map[string]any{}
	for k, v := range all {
		if slices.Contains(keep, k) {
			out[k] = v
		}
	}
	return out
}

func webViewLink(f *file) string {
	if f.mimeType == docMime {
		return "https://docs.google.com/document/d/" + f.id + "/edit?usp=drivesdk"
	}
	return "https://drive.google.com/file/d/" + f.id + "/view?usp=drivesdk"
}

// filesUpdate renames a file (the only change the fake takes).
func (s *Server) filesUpdate(c *call) (int, any, error) {
	f, err := s.fileFor(c, roleRank["writer"])
	if err != nil {
		return 0, nil, err
	}
	for k := range c.body {
		if k != "name" {
			return 0, nil, errorf(400, "invalid", "googlefake updates a file's name only, not %s", k)
		}
	}
	if name, _ := c.body["name"].(string); name != "" && name != f.name {
		f.name = name
		if d := s.docs[f.id]; d != nil {
			d.title = name
		}
		s.touch(f.id)
	}
	return 200, s.fileView(f, c.q.Get("fields")), nil
}

func (s *Server) filesGet(c *call) (int, any, error) {
	f, err := s.fileFor(c, roleRank["reader"])
	if err != nil {
		return 0, nil, err
	}
	return 200, s.fileView(f, c.q.Get("fields")), nil
}

func (s *Server) filesCopy(c *call) (int, any, error) {
	src, err := s.fileFor(c, roleRank["reader"])
	if err != nil {
		return 0, nil, err
	}
	name, _ := c.body["name"].(string)
	if name == "" {
		name = "Copy of " + src.name
	}
	f := s.newFile(name, src.mimeType, c.who)
	if props, ok := c.body["appProperties"].(map[string]any); ok {
		f.appProperties = props
	}
	if d := s.docs[src.id]; d != nil {
		cp := d.clone()
		cp.id, cp.title = f.id, name
		s.docs[f.id] = cp
	}
	return 200, s.fileView(f, c.q.Get("fields")), nil
}

func (s *Server) permissionsCreate(c *call) (int, any, error) {
	f, err := s.fileFor(c, roleRank["writer"])
	if err != nil {
		return 0, nil, err
	}
	typ, _ := c.body["type"].(string)
	role, _ := c.body["role"].(string)
	email, _ := c.body["emailAddress"].(string)
	switch {
	case roleRank[role] == 0 || role == "owner":
		return 0, nil, errorf(400, "invalid", "Invalid role %q.", role)
	case typ != "user" && typ != "group":
		return 0, nil, errorf(400, "invalid", "Permission type %q is not supported by googlefake.", typ)
	case !strings.Contains(email, "@"):
		return 0, nil, errorf(400, "invalid", "Invalid email address %q.", email)
	}
	if f, ok := s.refusals[email]; ok {
		return 0, nil, errorf(f.Code, f.Reason, "Sharing with %s is not allowed: %s", email, f.Reason)
	}
	notified := c.q.Get("sendNotificationEmail") != "false"
	var p *permission
	for _, have := range f.perms {
		if have.email == email && have.role != "owner" {
			p = have
		}
	}
	if p == nil {
		p = &permission{id: s.newID("perm"), typ: typ, email: email}
		f.perms = append(f.perms, p)
	}
	p.role, p.notified = role, notified
	s.touch(f.id)
	return 200, permissionView(p, c.q.Get("fields")), nil
}

func (s *Server) permissionsDelete(c *call) (int, any, error) {
	f, err := s.fileFor(c, roleRank["writer"])
	if err != nil {
		return 0, nil, err
	}
	for i, p := range f.perms {
		if p.id != c.path["permissionId"] {
			continue
		}
		if p.role == "owner" {
			return 0, nil, errorf(403, "cannotDeletePermission", "The owner's permission cannot be deleted.")
		}
		f.perms = slices.Delete(f.perms, i, i+1)
		s.touch(f.id)
		return 204, nil, nil
	}
	return 0, nil, errorf(404, "notFound", "Permission not found: %s.", c.path["permissionId"])
}

func permissionView(p *permission, fields string) map[string]any {
	all := map[string]any{"kind": "drive#permission", "id": p.id, "type": p.typ, "role": p.role, "emailAddress": p.email}
	return partial(all, fields, []string{"kind", "id", "type", "role"})
}

func (s *Server) permissionsList(c *call) (int, any, error) {
	f, err := s.fileFor(c, roleRank["reader"])
	if err != nil {
		return 0, nil, err
	}
	var list []any
	for _, p := range f.perms {
		list = append(list, permissionView(p, "*"))
	}
	return 200, map[string]any{"kind": "drive#permissionList", "permissions": list}, nil
}
