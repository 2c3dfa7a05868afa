package googlefake

import (
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The discovery documents shipped in google.golang.org/api v0.309.0 (the
// version meetingd pins), copied so the fake needs nothing at run time;
// TestDiscoveryMatchesModule checks they still equal the module's.
//
//go:embed discovery/*.json
var discoveryFS embed.FS

// DiscoveryFiles maps each embedded discovery document to its path inside
// the google.golang.org/api module.
var DiscoveryFiles = map[string]string{
	"discovery/calendar-api.json": "calendar/v3/calendar-api.json",
	"discovery/drive-api.json":    "drive/v3/drive-api.json",
	"discovery/docs-api.json":     "docs/v1/docs-api.json",
	"discovery/meet-api.json":     "meet/v2/meet-api.json",
	"discovery/people-api.json":   "people/v1/people-api.json",
}

// discoveryDoc is the part of a discovery document the fake checks against.
type discoveryDoc struct {
	Name        string             `json:"name"`
	RootURL     string             `json:"rootUrl"`
	ServicePath string             `json:"servicePath"`
	Parameters  map[string]*param  `json:"parameters"`
	Schemas     map[string]*schema `json:"schemas"`
	Resources   map[string]*resource
}

type resource struct {
	Methods   map[string]*method   `json:"methods"`
	Resources map[string]*resource `json:"resources"`
}

type method struct {
	ID         string            `json:"id"`
	Path       string            `json:"path"`
	FlatPath   string            `json:"flatPath"`
	HTTPMethod string            `json:"httpMethod"`
	Parameters map[string]*param `json:"parameters"`
	Request    *schema           `json:"request"`
	Response   *schema           `json:"response"`

	api     *discoveryDoc
	pattern *regexp.Regexp
	names   []string // path parameters, in pattern group order
}

type param struct {
	Type     string   `json:"type"`
	Format   string   `json:"format"`
	Location string   `json:"location"`
	Required bool     `json:"required"`
	Repeated bool     `json:"repeated"`
	Enum     []string `json:"enum"`
	Minimum  string   `json:"minimum"`
	Maximum  string   `json:"maximum"`
}

type schema struct {
	ID                   string             `json:"id"`
	Ref                  string             `json:"$ref"`
	Type                 string             `json:"type"`
	Format               string             `json:"format"`
	Enum                 []string           `json:"enum"`
	Properties           map[string]*schema `json:"properties"`
	AdditionalProperties *schema            `json:"additionalProperties"`
	Items                *schema            `json:"items"`
}

// catalog is every method of the five APIs, matched by HTTP method and path.
type catalog struct {
	docs    []*discoveryDoc
	methods []*method
}

func loadCatalog() (*catalog, error) {
	c := &catalog{}
	// Docs, Meet and People serve under the root ("v1/...", "v2/..."), so
	// they are tried last.
	for _, name := range []string{"discovery/calendar-api.json", "discovery/drive-api.json", "discovery/docs-api.json",
		"discovery/meet-api.json", "discovery/people-api.json"} {
		raw, err := discoveryFS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		var d discoveryDoc
		if err := json.Unmarshal(raw, &d); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		c.docs = append(c.docs, &d)
		var walk func(map[string]*resource) error
		walk = func(rs map[string]*resource) error {
			for _, r := range rs {
				for _, m := range r.Methods {
					if err := m.compile(&d); err != nil {
						return err
					}
					c.methods = append(c.methods, m)
				}
				if err := walk(r.Resources); err != nil {
					return err
				}
			}
			return nil
		}
		if err := walk(d.Resources); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	// Literal paths before templated ones: "channels/stop" is not an event id.
	sort.SliceStable(c.methods, func(i, j int) bool {
		return strings.Count(c.methods[i].template(), "{") < strings.Count(c.methods[j].template(), "{")
	})
	return c, nil
}

func (m *method) template() string {
	if m.FlatPath != "" {
		return m.FlatPath
	}
	return m.Path
}

var placeholder = regexp.MustCompile(`\{\+?([^}]+)\}`)

// compile turns the method's path template into a pattern over the
// escaped request path.
func (m *method) compile(d *discoveryDoc) error {
	m.api = d
	tpl := d.ServicePath + m.template()
	var b strings.Builder
	b.WriteString("^/")
	last := 0
	for _, loc := range placeholder.FindAllStringSubmatchIndex(tpl, -1) {
		b.WriteString(regexp.QuoteMeta(tpl[last:loc[0]]))
		if strings.HasPrefix(tpl[loc[0]:], "{+") {
			b.WriteString("(.+)")
		} else {
			b.WriteString("([^/]+?)")
		}
		m.names = append(m.names, tpl[loc[2]:loc[3]])
		last = loc[1]
	}
	b.WriteString(regexp.QuoteMeta(tpl[last:]))
	b.WriteString("$")
	var err error
	m.pattern, err = regexp.Compile(b.String())
	return err
}

// match finds the method for a request and its path parameters.
func (c *catalog) match(r *http.Request) (*method, map[string]string) {
	p := r.URL.EscapedPath()
	for _, m := range c.methods {
		if m.HTTPMethod != r.Method {
			continue
		}
		g := m.pattern.FindStringSubmatch(p)
		if g == nil {
			continue
		}
		vals := map[string]string{}
		ok := true
		for i, name := range m.names {
			v, err := url.PathUnescape(g[i+1])
			if err != nil || v == "" {
				ok = false
				break
			}
			vals[name] = v
		}
		if ok {
			return m, vals
		}
	}
	return nil, nil
}

// checkQuery lists what in q the method does not define, or defines
// differently.
func (m *method) checkQuery(q url.Values) []string {
	var out []string
	for name, vals := range q {
		p := m.Parameters[name]
		if p == nil {
			p = m.api.Parameters[name]
		}
		if p == nil || p.Location != "query" {
			out = append(out, fmt.Sprintf("%s: parameter %q is not defined", m.ID, name))
			continue
		}
		if len(vals) > 1 && !p.Repeated {
			out = append(out, fmt.Sprintf("%s: parameter %q repeated", m.ID, name))
		}
		for _, v := range vals {
			if msg := p.check(v); msg != "" {
				out = append(out, fmt.Sprintf("%s: parameter %s=%q: %s", m.ID, name, v, msg))
			}
		}
	}
	for name, p := range m.Parameters {
		if p.Required && p.Location == "query" && !q.Has(name) {
			out = append(out, fmt.Sprintf("%s: required parameter %q missing", m.ID, name))
		}
	}
	sort.Strings(out)
	return out
}

func (p *param) check(v string) string {
	switch p.Type {
	case "boolean":
		if v != "true" && v != "false" {
			return "not a boolean"
		}
	case "integer":
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return "not an integer"
		}
		if p.Minimum != "" {
			if lo, _ := strconv.ParseInt(p.Minimum, 10, 64); n < lo {
				return "below minimum " + p.Minimum
			}
		}
		if p.Maximum != "" {
			if hi, _ := strconv.ParseInt(p.Maximum, 10, 64); n > hi {
				return "above maximum " + p.Maximum
			}
		}
	case "string":
		if p.Format == "date-time" {
			if _, err := time.Parse(time.RFC3339, v); err != nil {
				return "not an RFC 3339 date-time"
			}
		}
	}
	if len(p.Enum) > 0 && !slices.Contains(p.Enum, v) {
		return "not one of " + strings.Join(p.Enum, ", ")
	}
	return ""
}

// checkJSON lists where v does not fit schema s.
func (d *discoveryDoc) checkJSON(v any, s *schema, path string, out *[]string) {
	if s == nil || v == nil {
		return // null is how a client clears a field
	}
	if s.Ref != "" {
		ref := d.Schemas[s.Ref]
		if ref == nil {
			*out = append(*out, fmt.Sprintf("%s: unknown schema %s", path, s.Ref))
			return
		}
		s = ref
	}
	bad := func(want string) { *out = append(*out, fmt.Sprintf("%s: %T is not %s", path, v, want)) }
	switch s.Type {
	case "object":
		obj, ok := v.(map[string]any)
		if !ok {
			bad("an object")
			return
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			switch {
			case s.Properties[k] != nil:
				d.checkJSON(obj[k], s.Properties[k], path+"."+k, out)
			case s.AdditionalProperties != nil:
				d.checkJSON(obj[k], s.AdditionalProperties, path+"."+k, out)
			default:
				*out = append(*out, fmt.Sprintf("%s: field %q is not in schema %s", path, k, s.ID))
			}
		}
	case "array":
		arr, ok := v.([]any)
		if !ok {
			bad("an array")
			return
		}
		for i, e := range arr {
			d.checkJSON(e, s.Items, fmt.Sprintf("%s[%d]", path, i), out)
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			bad("a string")
			return
		}
		switch s.Format {
		case "int64", "uint64":
			if _, err := strconv.ParseInt(str, 10, 64); err != nil {
				*out = append(*out, fmt.Sprintf("%s: %q is not an %s string", path, str, s.Format))
			}
		case "date-time":
			if _, err := time.Parse(time.RFC3339, str); err != nil {
				*out = append(*out, fmt.Sprintf("%s: %q is not an RFC 3339 date-time", path, str))
			}
		case "date":
			if _, err := time.Parse(time.DateOnly, str); err != nil {
				*out = append(*out, fmt.Sprintf("%s: %q is not a date", path, str))
			}
		}
		if len(s.Enum) > 0 && !slices.Contains(s.Enum, str) {
			*out = append(*out, fmt.Sprintf("%s: %q is not one of %s", path, str, strings.Join(s.Enum, ", ")))
		}
	case "integer":
		n, ok := v.(float64)
		if !ok || n != float64(int64(n)) {
			bad("an integer")
		}
	case "number":
		if _, ok := v.(float64); !ok {
			bad("a number")
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			bad("a boolean")
		}
	case "any", "":
	default:
		*out = append(*out, fmt.Sprintf("%s: schema type %q unknown to the fake", path, s.Type))
	}
}
