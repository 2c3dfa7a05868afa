package people

import (
	"fmt"
	"slices"
	"strings"

	"meetingd/internal/errs"
)

// Org is who belongs to the organisation meetingd serves: addresses in
// its domains, and people an operator added. With no domains set, anyone
// does (the embedded default for a team trying meetingd out).
type Org struct {
	Domains []string // lower case, without "@"
}

// NewOrg reads a comma-separated domain list, refusing what is not one.
func NewOrg(list string) (Org, error) {
	var o Org
	for _, d := range strings.Split(list, ",") {
		d = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(d), "@"))
		if d == "" {
			continue
		}
		if !strings.Contains(d, ".") || strings.ContainsAny(d, " /@:") {
			return Org{}, fmt.Errorf("%q is not a domain such as example.com", d)
		}
		o.Domains = append(o.Domains, d)
	}
	return o, nil
}

// Allows reports whether p may be invited and emailed.
func (o Org) Allows(p Person) bool {
	return len(o.Domains) == 0 || p.Vouched || p.Operator || o.inDomain(p.Email)
}

func (o Org) inDomain(email string) bool {
	_, domain, ok := strings.Cut(NormalizeEmail(email), "@")
	return ok && slices.Contains(o.Domains, domain)
}

// Check refuses, with a message saying what to do, inviting p from
// outside the organisation.
func (o Org) Check(p Person) error {
	if o.Allows(p) {
		return nil
	}
	return errs.Errorf(errs.Invalid, "%s is outside the organisation (%s): meetingd emails only its people; an operator can add them with `meetingd person --email %s`",
		p.Email, strings.Join(o.Domains, ", "), p.Email)
}
