package jobs

import (
	"fmt"
	"strconv"
	"strings"
)

// Subject names what a job is about: a prefix such as "occurrence:" and an
// id.
func Subject(prefix string, id int64) string { return prefix + strconv.FormatInt(id, 10) }

// SubjectID reads the id back from a subject such as "occurrence:12". Ids
// are positive: anything else is a subject some other code wrote wrongly.
func SubjectID(subject, prefix string) (int64, error) {
	rest, ok := strings.CutPrefix(subject, prefix)
	id, err := strconv.ParseInt(rest, 10, 64)
	if !ok || err != nil || id <= 0 {
		return 0, fmt.Errorf("job subject %q is not %s<id>", subject, prefix)
	}
	return id, nil
}
