package ics

import (
	"encoding/binary"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-ical"
)

// windowsZones maps Windows time zone names, as Outlook and Exchange write
// them in TZID, to IANA names. It follows the "001" territory of CLDR's
// windowsZones.xml, with a few names brought up to date (Asia/Kolkata
// rather than Asia/Calcutta) and some retired Windows names added.
var windowsZones = map[string]string{
	"Egypt Standard Time":             "Africa/Cairo",
	"Morocco Standard Time":           "Africa/Casablanca",
	"South Africa Standard Time":      "Africa/Johannesburg",
	"South Sudan Standard Time":       "Africa/Juba",
	"Sudan Standard Time":             "Africa/Khartoum",
	"W. Central Africa Standard Time": "Africa/Lagos",
	"E. Africa Standard Time":         "Africa/Nairobi",
	"Sao Tome Standard Time":          "Africa/Sao_Tome",
	"Libya Standard Time":             "Africa/Tripoli",
	"Namibia Standard Time":           "Africa/Windhoek",
	"Aleutian Standard Time":          "America/Adak",
	"Alaskan Standard Time":           "America/Anchorage",
	"Tocantins Standard Time":         "America/Araguaina",
	"Paraguay Standard Time":          "America/Asuncion",
	"Bahia Standard Time":             "America/Bahia",
	"SA Pacific Standard Time":        "America/Bogota",
	"Argentina Standard Time":         "America/Argentina/Buenos_Aires",
	"Eastern Standard Time (Mexico)":  "America/Cancun",
	"Venezuela Standard Time":         "America/Caracas",
	"SA Eastern Standard Time":        "America/Cayenne",
	"Central Standard Time":           "America/Chicago",
	"Central Brazilian Standard Time": "America/Cuiaba",
	"Mountain Standard Time":          "America/Denver",
	"Greenland Standard Time":         "America/Nuuk",
	"Turks And Caicos Standard Time":  "America/Grand_Turk",
	"Central America Standard Time":   "America/Guatemala",
	"Atlantic Standard Time":          "America/Halifax",
	"Cuba Standard Time":              "America/Havana",
	"US Eastern Standard Time":        "America/Indiana/Indianapolis",
	"SA Western Standard Time":        "America/La_Paz",
	"Pacific Standard Time":           "America/Los_Angeles",
	"Mountain Standard Time (Mexico)": "America/Mazatlan",
	"Central Standard Time (Mexico)":  "America/Mexico_City",
	"Saint Pierre Standard Time":      "America/Miquelon",
	"Montevideo Standard Time":        "America/Montevideo",
	"Eastern Standard Time":           "America/New_York",
	"US Mountain Standard Time":       "America/Phoenix",
	"Haiti Standard Time":             "America/Port-au-Prince",
	"Magallanes Standard Time":        "America/Punta_Arenas",
	"Canada Central Standard Time":    "America/Regina",
	"Pacific SA Standard Time":        "America/Santiago",
	"E. South America Standard Time":  "America/Sao_Paulo",
	"Newfoundland Standard Time":      "America/St_Johns",
	"Pacific Standard Time (Mexico)":  "America/Tijuana",
	"Yukon Standard Time":             "America/Whitehorse",
	"Jordan Standard Time":            "Asia/Amman",
	"Arabic Standard Time":            "Asia/Baghdad",
	"Azerbaijan Standard Time":        "Asia/Baku",
	"SE Asia Standard Time":           "Asia/Bangkok",
	"Altai Standard Time":             "Asia/Barnaul",
	"Middle East Standard Time":       "Asia/Beirut",
	"Central Asia Standard Time":      "Asia/Bishkek",
	"India Standard Time":             "Asia/Kolkata",
	"Transbaikal Standard Time":       "Asia/Chita",
	"Sri Lanka Standard Time":         "Asia/Colombo",
	"Syria Standard Time":             "Asia/Damascus",
	"Bangladesh Standard Time":        "Asia/Dhaka",
	"Arabian Standard Time":           "Asia/Dubai",
	"West Bank Standard Time":         "Asia/Hebron",
	"W. Mongolia Standard Time":       "Asia/Hovd",
	"North Asia East Standard Time":   "Asia/Irkutsk",
	"Israel Standard Time":            "Asia/Jerusalem",
	"Afghanistan Standard Time":       "Asia/Kabul",
	"Russia Time Zone 11":             "Asia/Kamchatka",
	"Pakistan Standard Time":          "Asia/Karachi",
	"Nepal Standard Time":             "Asia/Kathmandu",
	"North Asia Standard Time":        "Asia/Krasnoyarsk",
	"Magadan Standard Time":           "Asia/Magadan",
	"N. Central Asia Standard Time":   "Asia/Novosibirsk",
	"Omsk Standard Time":              "Asia/Omsk",
	"North Korea Standard Time":       "Asia/Pyongyang",
	"Qyzylorda Standard Time":         "Asia/Qyzylorda",
	"Myanmar Standard Time":           "Asia/Yangon",
	"Arab Standard Time":              "Asia/Riyadh",
	"Sakhalin Standard Time":          "Asia/Sakhalin",
	"Korea Standard Time":             "Asia/Seoul",
	"China Standard Time":             "Asia/Shanghai",
	"Singapore Standard Time":         "Asia/Singapore",
	"Russia Time Zone 10":             "Asia/Srednekolymsk",
	"Taipei Standard Time":            "Asia/Taipei",
	"West Asia Standard Time":         "Asia/Tashkent",
	"Georgian Standard Time":          "Asia/Tbilisi",
	"Iran Standard Time":              "Asia/Tehran",
	"Tokyo Standard Time":             "Asia/Tokyo",
	"Tomsk Standard Time":             "Asia/Tomsk",
	"Ulaanbaatar Standard Time":       "Asia/Ulaanbaatar",
	"Vladivostok Standard Time":       "Asia/Vladivostok",
	"Yakutsk Standard Time":           "Asia/Yakutsk",
	"Ekaterinburg Standard Time":      "Asia/Yekaterinburg",
	"Caucasus Standard Time":          "Asia/Yerevan",
	"Azores Standard Time":            "Atlantic/Azores",
	"Cape Verde Standard Time":        "Atlantic/Cape_Verde",
	"Greenwich Standard Time":         "Atlantic/Reykjavik",
	"Cen. Australia Standard Time":    "Australia/Adelaide",
	"E. Australia Standard Time":      "Australia/Brisbane",
	"AUS Central Standard Time":       "Australia/Darwin",
	"Aus Central W. Standard Time":    "Australia/Eucla",
	"Tasmania Standard Time":          "Australia/Hobart",
	"Lord Howe Standard Time":         "Australia/Lord_Howe",
	"W. Australia Standard Time":      "Australia/Perth",
	"AUS Eastern Standard Time":       "Australia/Sydney",
	"UTC-11":                          "Etc/GMT+11",
	"Dateline Standard Time":          "Etc/GMT+12",
	"UTC-02":                          "Etc/GMT+2",
	"UTC-08":                          "Etc/GMT+8",
	"UTC-09":                          "Etc/GMT+9",
	"UTC+12":                          "Etc/GMT-12",
	"UTC+13":                          "Etc/GMT-13",
	"UTC":                             "UTC",
	"Astrakhan Standard Time":         "Europe/Astrakhan",
	"W. Europe Standard Time":         "Europe/Berlin",
	"GTB Standard Time":               "Europe/Bucharest",
	"Central Europe Standard Time":    "Europe/Budapest",
	"E. Europe Standard Time":         "Europe/Chisinau",
	"Turkey Standard Time":            "Europe/Istanbul",
	"Kaliningrad Standard Time":       "Europe/Kaliningrad",
	"FLE Standard Time":               "Europe/Kyiv",
	"GMT Standard Time":               "Europe/London",
	"Belarus Standard Time":           "Europe/Minsk",
	"Russian Standard Time":           "Europe/Moscow",
	"Romance Standard Time":           "Europe/Paris",
	"Russia Time Zone 3":              "Europe/Samara",
	"Saratov Standard Time":           "Europe/Saratov",
	"Volgograd Standard Time":         "Europe/Volgograd",
	"Central European Standard Time":  "Europe/Warsaw",
	"Mauritius Standard Time":         "Indian/Mauritius",
	"Samoa Standard Time":             "Pacific/Apia",
	"New Zealand Standard Time":       "Pacific/Auckland",
	"Bougainville Standard Time":      "Pacific/Bougainville",
	"Chatham Islands Standard Time":   "Pacific/Chatham",
	"Easter Island Standard Time":     "Pacific/Easter",
	"Fiji Standard Time":              "Pacific/Fiji",
	"Central Pacific Standard Time":   "Pacific/Guadalcanal",
	"Hawaiian Standard Time":          "Pacific/Honolulu",
	"Line Islands Standard Time":      "Pacific/Kiritimati",
	"Marquesas Standard Time":         "Pacific/Marquesas",
	"Norfolk Standard Time":           "Pacific/Norfolk",
	"West Pacific Standard Time":      "Pacific/Port_Moresby",
	"Tonga Standard Time":             "Pacific/Tongatapu",
	// Retired Windows names still found in old exports.
	"Mid-Atlantic Standard Time": "Etc/GMT+2",
	"Kamchatka Standard Time":    "Asia/Kamchatka",
	"Armenian Standard Time":     "Asia/Yerevan",
	"Mexico Standard Time":       "America/Mexico_City",
	"Mexico Standard Time 2":     "America/Chihuahua",
	"Coordinated Universal Time": "UTC",
	"tzone://Microsoft/Utc":      "UTC",
}

// windowsZonesFold is windowsZones keyed by lower-case name: exporters do
// not agree on case.
var windowsZonesFold = func() map[string]string {
	m := make(map[string]string, len(windowsZones))
	for k, v := range windowsZones {
		m[strings.ToLower(k)] = v
	}
	return m
}()

// zone is a resolved TZID.
type zone struct {
	loc  *time.Location
	name string // IANA name; "" for a zone known only from a VTIMEZONE
}

var utcZone = zone{loc: time.UTC, name: "UTC"}

// eventName is what meetings.Event.TimeZone says for z.
func (z zone) eventName() string {
	if z.name == "" {
		return "UTC"
	}
	return z.name
}

// utcNames are the IANA spellings of UTC, all reported as "UTC".
var utcNames = map[string]bool{"UTC": true, "Etc/UTC": true, "GMT": true, "Etc/GMT": true, "Z": true}

const maxZoneCache = 1000

var (
	zoneCacheMu sync.Mutex
	zoneCache   = map[string]zone{} // tzid → zone; misses are cached too
)

// lookupZone resolves tzid through the IANA database and the Windows names.
// Results are cached: time.LoadLocation reads and parses tzdata each call.
func lookupZone(tzid string) (zone, bool) {
	zoneCacheMu.Lock()
	z, ok := zoneCache[tzid]
	zoneCacheMu.Unlock()
	if !ok {
		z = resolveZone(tzid)
		zoneCacheMu.Lock()
		if len(zoneCache) < maxZoneCache { // TZIDs come from untrusted files
			zoneCache[tzid] = z
		}
		zoneCacheMu.Unlock()
	}
	return z, z.loc != nil
}

func resolveZone(tzid string) zone {
	id := strings.TrimSpace(tzid)
	if iana, ok := windowsZonesFold[strings.ToLower(id)]; ok {
		return loadIANA(iana)
	}
	// Old Evolution and Mozilla exports prefix the IANA name with a path:
	// "/Europe/Berlin", "/mozilla.org/20050126_1/Europe/Berlin".
	for s := strings.TrimPrefix(id, "/"); s != ""; {
		if z := loadIANA(s); z.loc != nil {
			return z
		}
		i := strings.IndexByte(s, '/')
		if i < 0 {
			break
		}
		s = s[i+1:]
	}
	return zone{}
}

func loadIANA(name string) zone {
	if utcNames[name] {
		return utcZone
	}
	if name == "" || name == "Local" { // LoadLocation's special cases
		return zone{}
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return zone{}
	}
	return zone{loc: loc, name: name}
}

// vtimezone is a VTIMEZONE of the file, with its line index.
type vtimezone struct {
	comp *ical.Component
	idx  *compIndex
}

// zoneResolver resolves the TZIDs of one VCALENDAR: IANA and Windows names
// first, then the calendar's own VTIMEZONE definitions.
type zoneResolver struct {
	lines      []logicalLine
	vtimezones map[string]vtimezone
	horizon    time.Time // transitions of VTIMEZONE rules are computed up to here

	mu    sync.Mutex // ScanParallel's readers share the resolver
	built map[string]zone
}

// resolve returns the zone for tzid; ok is false when nothing defines it.
func (r *zoneResolver) resolve(tzid string) (z zone, ok bool, perr *ParseError) {
	if z, ok := lookupZone(tzid); ok {
		return z, true, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if z, ok := r.built[tzid]; ok {
		return z, true, nil
	}
	vtz, ok := r.vtimezones[tzid]
	if !ok {
		return zone{}, false, nil
	}
	loc, perr := buildZone(tzid, vtz, r.lines, r.horizon)
	if perr != nil {
		return zone{}, false, perr
	}
	z = zone{loc: loc}
	if r.built == nil {
		r.built = map[string]zone{}
	}
	r.built[tzid] = z
	return z, true, nil
}

// transition is a change of UTC offset.
type transition struct {
	at   int64 // Unix seconds
	from int   // offset before, seconds east of UTC
	to   int   // offset after
	dst  bool
	abbr string
}

// maxOnsets bounds the transitions computed per STANDARD/DAYLIGHT rule.
const maxOnsets = 2000

// buildZone turns a VTIMEZONE into a *time.Location, so that local times
// and recurrences in it get the same DST handling as IANA zones.
func buildZone(tzid string, vtz vtimezone, lines []logicalLine, horizon time.Time) (*time.Location, *ParseError) {
	var trans []transition
	for i, obs := range vtz.comp.Children {
		if obs.Name != "STANDARD" && obs.Name != "DAYLIGHT" {
			continue
		}
		t, perr := observance(obs, vtz.idx.children[i], lines, horizon)
		if perr != nil {
			return nil, perr
		}
		trans = append(trans, t...)
	}
	if len(trans) == 0 {
		return nil, &ParseError{Line: vtz.idx.line(lines), Reason: fmt.Sprintf("VTIMEZONE %q: no STANDARD or DAYLIGHT", tzid)}
	}
	sort.Slice(trans, func(i, j int) bool { return trans[i].at < trans[j].at })
	data, err := tzif(trans)
	if err == nil {
		var loc *time.Location
		if loc, err = time.LoadLocationFromTZData(tzid, data); err == nil {
			return loc, nil
		}
	}
	return nil, &ParseError{Line: vtz.idx.line(lines), Reason: fmt.Sprintf("VTIMEZONE %q: %v", tzid, err)}
}

// observance lists the transitions of one STANDARD or DAYLIGHT block.
func observance(obs *ical.Component, idx *compIndex, lines []logicalLine, horizon time.Time) (_ []transition, perr *ParseError) {
	pv := propView{comp: obs, idx: idx, lines: lines}
	defer func() {
		if r := recover(); r != nil { // rrule-go panics on some extreme rules
			perr = &ParseError{Line: pv.lineOf(ical.PropRecurrenceRule, 0), Reason: fmt.Sprintf("RRULE: cannot expand: %v", r)}
		}
	}()
	from, perr := pv.offset(ical.PropTimezoneOffsetFrom)
	if perr != nil {
		return nil, perr
	}
	to, perr := pv.offset(ical.PropTimezoneOffsetTo)
	if perr != nil {
		return nil, perr
	}
	abbr := formatOffset(to)
	if p, _ := pv.first(ical.PropTimezoneName); p != nil && p.Value != "" {
		abbr = unescapeText(p.Value)
	}
	onset := func(wall time.Time) transition {
		return transition{at: wall.Unix() - int64(from), from: from, to: to, dst: obs.Name == "DAYLIGHT", abbr: abbr}
	}

	// Onsets are local wall times; they are computed as if in UTC and
	// shifted by TZOFFSETFROM.
	sp, sl := pv.first(ical.PropDateTimeStart)
	if sp == nil {
		return nil, &ParseError{Line: idx.line(lines), Reason: obs.Name + ": missing DTSTART"}
	}
	start, err := wallTime(sp.Value)
	if err != nil {
		return nil, &ParseError{Line: sl, Reason: fmt.Sprintf("DTSTART: cannot parse %q as a date-time", sp.Value)}
	}
	out := []transition{onset(start)}
	for k, p := range obs.Props.Values(ical.PropRecurrenceDates) {
		for _, v := range strings.Split(p.Value, ",") {
			t, err := wallTime(v)
			if err != nil {
				return nil, &ParseError{Line: pv.lineOf(ical.PropRecurrenceDates, k), Reason: fmt.Sprintf("RDATE: cannot parse %q as a date-time", v)}
			}
			out = append(out, onset(t))
		}
	}
	for k, p := range obs.Props.Values(ical.PropRecurrenceRule) {
		line := pv.lineOf(ical.PropRecurrenceRule, k)
		r, perr := parseRule(p.Value, line, start, false)
		if perr != nil {
			return nil, perr
		}
		if u := r.OrigOptions.Until; !u.Equal(endOfTime) { // UNTIL is UTC; onsets are wall times
			r.Until(u.Add(time.Duration(from) * time.Second))
		}
		next := r.Iterator()
		for n := 0; n < maxOnsets; n++ {
			t, ok := next()
			if !ok || t.After(horizon) {
				break
			}
			out = append(out, onset(t))
		}
	}
	return out, nil
}

// wallTime parses a VTIMEZONE date-time, which is local time, as UTC.
func wallTime(value string) (time.Time, error) {
	t, err := (&ical.Prop{Value: value}).DateTime(time.UTC)
	if err != nil {
		return time.Time{}, err
	}
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC), nil
}

// offset parses a UTC-OFFSET property such as TZOFFSETTO:+0200.
func (pv propView) offset(name string) (int, *ParseError) {
	p, line := pv.first(name)
	if p == nil {
		return 0, &ParseError{Line: pv.idx.line(pv.lines), Reason: fmt.Sprintf("%s: missing %s", pv.comp.Name, name)}
	}
	off, err := parseOffset(strings.TrimSpace(p.Value))
	if err != nil {
		return 0, &ParseError{Line: line, Reason: fmt.Sprintf("%s: %v", name, err)}
	}
	return off, nil
}

// parseOffset parses ("+" / "-") HHMM [SS]; go-ical does not (yet).
func parseOffset(s string) (int, error) {
	bad := fmt.Errorf("cannot parse %q as a UTC offset", s)
	if (len(s) != 5 && len(s) != 7) || (s[0] != '+' && s[0] != '-') {
		return 0, bad
	}
	n := 0
	for i := 1; i < len(s); i += 2 {
		v, err := strconv.Atoi(s[i : i+2])
		if err != nil || v < 0 || v > 59 || (i == 1 && v > 23) {
			return 0, bad
		}
		n = n*60 + v
	}
	if len(s) == 5 {
		n *= 60
	}
	if s[0] == '-' {
		n = -n
	}
	return n, nil
}

func formatOffset(sec int) string {
	sign := '+'
	if sec < 0 {
		sign, sec = '-', -sec
	}
	return fmt.Sprintf("%c%02d%02d", sign, sec/3600, sec/60%60)
}

// zoneType is a local time type of a TZif file.
type zoneType struct {
	offset int
	dst    bool
	abbr   string
}

// tzif encodes transitions as TZif version 2 data (RFC 8536): it is the
// only way to build a *time.Location with DST rules outside package time.
func tzif(trans []transition) ([]byte, error) {
	// Before the first transition the zone is at its TZOFFSETFROM.
	first := transition{at: -1 << 59, to: trans[0].from, abbr: formatOffset(trans[0].from)}
	trans = append([]transition{first}, trans...)

	var types []zoneType
	typeIndex := map[zoneType]int{}
	abbrIndex := map[string]int{}
	var chars []byte
	idx := make([]byte, len(trans))
	for i, t := range trans {
		zt := zoneType{offset: t.to, dst: t.dst, abbr: t.abbr}
		n, ok := typeIndex[zt]
		if !ok {
			if len(types) == 256 {
				return nil, fmt.Errorf("too many distinct offsets")
			}
			n = len(types)
			typeIndex[zt] = n
			types = append(types, zt)
			if _, ok := abbrIndex[t.abbr]; !ok {
				if len(chars) > 255 {
					return nil, fmt.Errorf("too many distinct TZNAMEs")
				}
				abbrIndex[t.abbr] = len(chars)
				chars = append(append(chars, t.abbr...), 0)
			}
		}
		idx[i] = byte(n)
	}

	var b []byte
	header := func(timecnt, typecnt, charcnt int) {
		b = append(b, "TZif2"...)
		b = append(b, make([]byte, 15)...)
		for _, n := range []int{0, 0, 0, timecnt, typecnt, charcnt} { // isut, isstd, leap, time, type, char
			b = binary.BigEndian.AppendUint32(b, uint32(n))
		}
	}
	header(0, 0, 0) // empty version 1 block: version 2 readers skip it
	header(len(trans), len(types), len(chars))
	for _, t := range trans {
		b = binary.BigEndian.AppendUint64(b, uint64(t.at))
	}
	b = append(b, idx...)
	for _, zt := range types {
		b = binary.BigEndian.AppendUint32(b, uint32(int32(zt.offset)))
		dst := byte(0)
		if zt.dst {
			dst = 1
		}
		b = append(b, dst, byte(abbrIndex[zt.abbr]))
	}
	b = append(b, chars...)
	return append(b, '\n', '\n'), nil // no POSIX TZ footer
}
