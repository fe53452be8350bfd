package gov_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
)

// The sync decisions (sync.go) are checked against golden transcripts,
// testdata/sync/*.txt: a script of commands, one a line, each decision
// followed by the line "→ …" the code answers. The test runs the commands,
// writes the answers in, and compares with the file; -update rewrites the
// file (then read the diff). Updates are named, and every ID in an answer
// is written as the name of its update ("genesis" for the network).
//
//	commons STEWARDS THRESHOLD          founds a commons of keys named A to H, and an empty DAG
//	make NAME AUTHOR PARENTS HOUR OP…   signs an update (not placed): PARENTS are names joined by
//	                                    commas, HOUR counts from day 2 of 2026, OP is
//	                                    add-steward K, remove-steward K, set-threshold N,
//	                                    vote NAME yes|no, or rotate K
//	place NAME…                         Add, one by one; answers what is placed, held and missing
//	gossip NAME [full]                  DecideUpdate; full: the sender's held updates are full
//	heads NAME…                         CompareHeads
//	sync                                starts a sync: nothing asked yet
//	early NAME…                         the updates refused as dated too far ahead, for fetch
//	fetch NAME…                         ToFetch, within the sync
//	admit NAME [want NAME] [now HOUR] [network other]
//	                                    Admit, by default at hour 100 on the commons' network

func TestSyncGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "sync", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			got := runSyncScript(t, string(raw))
			if *update {
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if got != string(raw) {
				t.Errorf("%s: the decisions differ (go test -run TestSyncGolden -update, then read the diff):\n%s", file, lineDiff(string(raw), got))
			}
		})
	}
}

// lineDiff lists the lines of want and got that differ, by number.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := range max(len(w), len(g)) {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n\twant %s\n\tgot  %s\n", i+1, wl, gl)
		}
	}
	return b.String()
}

// syncScript is the state of a running script.
type syncScript struct {
	t     *testing.T
	n     govNet
	dag   *gov.DAG
	other protocol.NetworkID
	by    map[string]*gov.Update
	names map[protocol.ID]string
	asked map[protocol.ID]bool
	early map[protocol.ID]bool
}

// runSyncScript runs script and returns it with the answers written in.
func runSyncScript(t *testing.T, script string) string {
	s := &syncScript{t: t, other: protocol.NetworkIDOf([]byte("another commons"))}
	var out strings.Builder
	for i, line := range strings.Split(strings.TrimSuffix(script, "\n"), "\n") {
		if strings.HasPrefix(line, "→") {
			continue // an answer: written again below
		}
		out.WriteString(line + "\n")
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		answer, err := s.run(f)
		if err != nil {
			t.Fatalf("line %d: %q: %v", i+1, line, err)
		}
		if answer != "" {
			out.WriteString("→ " + answer + "\n")
		}
	}
	return out.String()
}

func (s *syncScript) run(f []string) (string, error) {
	if f[0] != "commons" && s.dag == nil {
		return "", fmt.Errorf("no commons yet")
	}
	switch f[0] {
	case "commons":
		if len(f) != 3 {
			return "", fmt.Errorf("want commons STEWARDS THRESHOLD")
		}
		threshold, err := strconv.Atoi(f[2])
		if err != nil {
			return "", err
		}
		s.n = newGovNet(s.t, f[1], threshold, nil)
		s.dag = gov.New(s.n.g, s.n.net)
		s.by = map[string]*gov.Update{}
		s.names = map[protocol.ID]string{s.n.net.ID(): "genesis"}
		s.asked, s.early = map[protocol.ID]bool{}, map[protocol.ID]bool{}
		return "", nil
	case "make":
		return "", s.make(f[1:])
	case "place":
		us, err := s.updates(f[1:])
		if err != nil {
			return "", err
		}
		var placed []protocol.ID
		for _, u := range us {
			res, err := s.dag.Add(u)
			if err != nil {
				return "", err
			}
			placed = append(placed, res.Placed...)
		}
		var held []protocol.ID
		for _, u := range s.dag.Held() {
			held = append(held, u.ID)
		}
		return fmt.Sprintf("placed %s; held %s; missing %s", s.list(placed), s.list(held), s.list(s.dag.Missing())), nil
	case "gossip":
		if len(f) < 2 || len(f) > 3 || len(f) == 3 && f[2] != "full" {
			return "", fmt.Errorf("want gossip NAME [full]")
		}
		us, err := s.updates(f[1:2])
		if err != nil {
			return "", err
		}
		d := gov.DecideUpdate(s.dag, us[0], len(f) == 3)
		if d.Verdict == gov.Accept {
			return d.Verdict.String(), nil
		}
		return d.Verdict.String() + ": " + d.Why.String(), nil
	case "heads":
		ids, err := s.ids(f[1:])
		if err != nil {
			return "", err
		}
		d := gov.CompareHeads(s.dag, ids)
		switch {
		case len(d.Fetch) > 0:
			return "fetch " + s.list(d.Fetch), nil
		case d.Behind:
			return "behind", nil
		}
		return "same", nil
	case "sync":
		s.asked = map[protocol.ID]bool{}
		return "", nil
	case "early":
		ids, err := s.ids(f[1:])
		if err != nil {
			return "", err
		}
		s.early = map[protocol.ID]bool{}
		for _, id := range ids {
			s.early[id] = true
		}
		return "", nil
	case "fetch":
		ids, err := s.ids(f[1:])
		if err != nil {
			return "", err
		}
		return "ask " + s.list(gov.ToFetch(s.dag, ids, s.asked, func(id protocol.ID) bool { return s.early[id] })), nil
	case "admit":
		return s.admit(f[1:])
	}
	return "", fmt.Errorf("unknown command %q", f[0])
}

// make signs an update: NAME AUTHOR PARENTS HOUR OP ARGS….
func (s *syncScript) make(f []string) error {
	if len(f) < 5 {
		return fmt.Errorf("want make NAME AUTHOR PARENTS HOUR OP…")
	}
	name, author, op := f[0], f[1], f[4]
	if _, dup := s.by[name]; dup || name == "genesis" {
		return fmt.Errorf("name %s is taken", name)
	}
	parents, err := s.ids(strings.Split(f[2], ","))
	if err != nil {
		return err
	}
	h, err := strconv.Atoi(f[3])
	if err != nil {
		return err
	}
	at, args := hour(h), f[5:]
	if len(args) != 1 && !(op == "vote" && len(args) == 2) {
		return fmt.Errorf("%s: wrong number of arguments", op)
	}
	var u *gov.Update
	switch op {
	case "add-steward", "remove-steward":
		u = s.n.propose(s.t, author, parents, at, gov.Proposal{Action: gov.Action(op), DID: govKey(args[0]).DID(), Expires: at.Add(72 * time.Hour)})
	case "set-threshold":
		n, err := strconv.Atoi(args[0])
		if err != nil {
			return err
		}
		u = s.n.propose(s.t, author, parents, at, gov.Proposal{Action: gov.ActSetThreshold, Threshold: n, Expires: at.Add(72 * time.Hour)})
	case "vote":
		p, err := s.ids(args[:1])
		if err != nil {
			return err
		}
		u = s.n.vote(s.t, author, parents, at, p[0], args[1] == "yes")
	case "rotate":
		u = s.n.rotate(s.t, author, parents, at, args[0])
	default:
		return fmt.Errorf("unknown operation %q", op)
	}
	s.by[name], s.names[u.ID] = u, name
	return nil
}

// admit runs Admit: NAME [want NAME] [now HOUR] [network other].
func (s *syncScript) admit(f []string) (string, error) {
	us, err := s.updates(f[:1])
	if err != nil {
		return "", err
	}
	var want protocol.ID
	now, network := hour(100), s.n.net
	for rest := f[1:]; len(rest) > 0; rest = rest[2:] {
		if len(rest) < 2 {
			return "", fmt.Errorf("want admit NAME [want NAME] [now HOUR] [network other]")
		}
		switch rest[0] {
		case "want":
			ids, err := s.ids(rest[1:2])
			if err != nil {
				return "", err
			}
			want = ids[0]
		case "now":
			h, err := strconv.Atoi(rest[1])
			if err != nil {
				return "", err
			}
			now = hour(h)
		case "network":
			network = s.other
		default:
			return "", fmt.Errorf("unknown option %q", rest[0])
		}
	}
	u, err := gov.Admit(us[0].Encode(), want, network, now)
	switch {
	case err == nil && u.ID == us[0].ID:
		return "admitted", nil
	case err == nil:
		return "", fmt.Errorf("admitted %s, not %s", u.ID, us[0].ID)
	case (u != nil) != protocol.IsKind(err, protocol.Transient):
		return "", fmt.Errorf("kind %s with update %v", protocol.KindOf(err), u != nil)
	}
	return fmt.Sprintf("%s: %s", protocol.KindOf(err), s.named(err.Error())), nil
}

// updates returns the updates names.
func (s *syncScript) updates(names []string) ([]*gov.Update, error) {
	out := make([]*gov.Update, len(names))
	for i, name := range names {
		u, ok := s.by[name]
		if !ok {
			return nil, fmt.Errorf("no update %s", name)
		}
		out[i] = u
	}
	return out, nil
}

// ids returns the IDs of names: updates, or genesis for the network.
func (s *syncScript) ids(names []string) ([]protocol.ID, error) {
	out := make([]protocol.ID, len(names))
	for i, name := range names {
		if name == "genesis" {
			out[i] = s.n.net.ID()
			continue
		}
		us, err := s.updates([]string{name})
		if err != nil {
			return nil, err
		}
		out[i] = us[0].ID
	}
	return out, nil
}

// list writes ids as names, or "nothing".
func (s *syncScript) list(ids []protocol.ID) string {
	if len(ids) == 0 {
		return "nothing"
	}
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = s.names[id]
		if names[i] == "" {
			names[i] = id.String()
		}
	}
	return strings.Join(names, " ")
}

// named writes the IDs in text as names.
func (s *syncScript) named(text string) string {
	for id, name := range s.names {
		text = strings.ReplaceAll(text, id.String(), name)
	}
	text = strings.ReplaceAll(text, s.other.String(), "other")
	for i, k := range govKeys {
		text = strings.ReplaceAll(text, k.DID().String(), string(rune('A'+i)))
	}
	return text
}
