package meetings

import "strings"

// A new section's headings hold the notes template's guidance (what goes
// under Agenda, how to write a DECISION: line). People read it as a hint,
// never as content: readers, pages and emails get the section with any
// heading that still holds only its guidance blank, and pages show the
// guidance as the field's placeholder.

// withoutHints is sec with every heading that holds only its guidance
// blanked.
func (s *Service) withoutHints(sec Section) Section {
	for field, v := range map[string]*string{"pre_read": &sec.PreRead, "agenda": &sec.Agenda, "notes": &sec.Notes,
		"decisions": &sec.Decisions, "action_items": &sec.ActionItems} {
		if strings.TrimSpace(*v) == strings.TrimSpace(s.placeholder(field)) {
			*v = ""
		}
	}
	return sec
}

// Hints is the guidance for each heading, for pages' placeholder
// attributes.
func (s *Service) Hints() map[string]string {
	out := map[string]string{}
	for _, f := range []string{"pre_read", "agenda", "notes", "decisions", "action_items"} {
		out[f] = strings.Trim(strings.TrimSpace(s.placeholder(f)), "()")
	}
	return out
}
