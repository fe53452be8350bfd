package gov_test

import (
	"bytes"
	"encoding/json"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
)

// A golden transcript (testdata/fold/*.json) is a script written by hand —
// a commons, updates named and signed by the test keys A to H, and what a
// reader expects in those names — and what the code makes of it: the
// updates' IDs, the log, the state as `gov state --json` shows it, and
// the envelopes. The test checks the expectations every time and compares
// the rest with the file; -update rewrites the file (then read the diff).
type govGolden struct {
	About   string         `json:"about"`
	Genesis goldenGenesis  `json:"genesis"`
	Updates []goldenUpdate `json:"updates"`
	Expect  goldenExpect   `json:"expect"`

	// Made by the code.
	IDs       map[string]string `json:"ids,omitempty"`
	Log       []string          `json:"log,omitempty"`
	State     json.RawMessage   `json:"state,omitempty"`
	Envelopes map[string]string `json:"envelopes,omitempty"`
}

type goldenGenesis struct {
	Stewards  string            `json:"stewards"` // key names
	Threshold int               `json:"threshold"`
	Params    map[string]string `json:"params,omitempty"`
}

// goldenUpdate is an update in names: parents and proposals by update
// name (no parents: the genesis), DIDs and successors by key name, datasets by a name
// whose ID is that of the bytes "dataset NAME". A proposal without
// expires expires 72 hours after its time.
type goldenUpdate struct {
	Name    string   `json:"name"`
	Author  string   `json:"author"`
	Parents []string `json:"parents"`
	Time    string   `json:"time"`
	Propose *struct {
		Action    gov.Action `json:"action"`
		DID       string     `json:"did,omitempty"`
		Threshold int        `json:"threshold,omitempty"`
		Effective string     `json:"effective,omitempty"`
		Reason    string     `json:"reason,omitempty"`
		Dataset   string     `json:"dataset,omitempty"`
		Status    string     `json:"status,omitempty"`
		Name      string     `json:"name,omitempty"`
		Value     string     `json:"value,omitempty"`
		Expires   string     `json:"expires,omitempty"`
	} `json:"propose,omitempty"`
	Vote *struct {
		Proposal string `json:"proposal"`
		Yes      bool   `json:"yes"`
	} `json:"vote,omitempty"`
	// Rotate hands the author's seat on to the key To names: the update
	// carries the rotation from the author's key to it, dated the update's
	// time and signed by both keys.
	Rotate *struct {
		To string `json:"to"`
	} `json:"rotate,omitempty"`
}

// goldenExpect is what the reader expects, in names. Proposals and
// Ignored list every proposal and every ignored update; a void proposal
// reads "void: REASON".
type goldenExpect struct {
	Stewards  string            `json:"stewards"`
	Threshold int               `json:"threshold"`
	Proposals map[string]string `json:"proposals,omitempty"`
	Ignored   map[string]string `json:"ignored,omitempty"`
	Revoked   map[string]string `json:"revoked,omitempty"`  // key name → effective
	Rotated   map[string]string `json:"rotated,omitempty"`  // retired key name → successor's
	Datasets  map[string]string `json:"datasets,omitempty"` // dataset name → status
	Params    map[string]string `json:"params,omitempty"`
}

func goldenDataset(name string) protocol.ID { return protocol.ObjectID([]byte("dataset " + name)) }

func TestGovGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "fold", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".json"), func(t *testing.T) { checkGolden(t, file) })
	}
}

func checkGolden(t *testing.T, file string) {
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var gt govGolden
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&gt); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	n := newGovNet(t, gt.Genesis.Stewards, gt.Genesis.Threshold, gt.Genesis.Params)
	us, names := gt.sign(t, n)
	dag := gov.New(n.g, n.net)
	addAll(t, dag, us...)
	if len(dag.Held()) > 0 {
		t.Fatalf("%d updates held: a script names its parents before it uses them", len(dag.Held()))
	}
	s := dag.State()
	gt.Expect.check(t, s, dag.Log(), names)
	checkAnyOrder(t, n, us, s.Hash())

	made := gt
	made.IDs, made.Envelopes, made.Log = map[string]string{}, map[string]string{}, nil
	for _, u := range us {
		made.IDs[names[u.ID]], made.Envelopes[names[u.ID]] = u.ID.String(), string(u.Encode())
	}
	for _, e := range dag.Log() {
		made.Log = append(made.Log, logLine(e, names))
	}
	if made.State, err = json.MarshalIndent(s, "", "  "); err != nil {
		t.Fatal(err)
	}
	out, err := json.MarshalIndent(made, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, '\n')
	if *update {
		if err := os.WriteFile(file, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(out, raw) {
		t.Errorf("%s differs from what the code makes (go test -run TestGovGolden ./protocol -args -update, then read the diff):\n%s", file, firstDiff(raw, out))
	}
}

// sign makes the script's updates, in order, and names their IDs.
func (gt *govGolden) sign(t *testing.T, n govNet) ([]*gov.Update, map[protocol.ID]string) {
	byName := map[string]*gov.Update{}
	names := map[protocol.ID]string{}
	var us []*gov.Update
	parse := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	for _, g := range gt.Updates {
		if _, dup := byName[g.Name]; dup || g.Name == "" {
			t.Fatalf("update name %q is empty or used twice", g.Name)
		}
		parents := n.genesis()
		if len(g.Parents) > 0 {
			parents = nil
			for _, p := range g.Parents {
				parents = append(parents, byName[p].ID)
			}
		}
		at := parse(g.Time)
		var u *gov.Update
		var err error
		if p := g.Propose; p != nil {
			q := gov.Proposal{Action: p.Action, Threshold: p.Threshold, Reason: p.Reason, Status: gov.DatasetStatus(p.Status),
				Name: p.Name, Value: p.Value, Expires: at.Add(72 * time.Hour)}
			if p.DID != "" {
				q.DID = govKey(p.DID).DID()
			}
			if p.Dataset != "" {
				q.Dataset = goldenDataset(p.Dataset)
			}
			if p.Effective != "" {
				q.Effective = parse(p.Effective)
			}
			if p.Expires != "" {
				q.Expires = parse(p.Expires)
			}
			u, err = gov.NewUpdate(n.net, govKey(g.Author), parents, at, &q, nil)
		} else if g.Rotate != nil {
			u, err = gov.NewRotation(n.net, govKey(g.Author), parents, at, rotation(g.Author, g.Rotate.To, at))
		} else {
			proposal := protocol.ObjectID([]byte(g.Vote.Proposal)) // a name of no update: an unknown proposal
			if p, ok := byName[g.Vote.Proposal]; ok {
				proposal = p.ID
			}
			u, err = gov.NewUpdate(n.net, govKey(g.Author), parents, at, nil, &gov.Vote{Proposal: proposal, Yes: g.Vote.Yes})
		}
		if err != nil {
			t.Fatalf("update %s: %v", g.Name, err)
		}
		byName[g.Name], names[u.ID] = u, g.Name
		us = append(us, u)
	}
	return us, names
}

// check compares the state and the log with what the reader expects.
func (x *goldenExpect) check(t *testing.T, s *gov.State, log []gov.LogEntry, names map[protocol.ID]string) {
	t.Helper()
	var stewards []string
	for _, d := range s.Stewards() {
		stewards = append(stewards, govKeyName(d))
	}
	slices.Sort(stewards)
	if got := strings.Join(stewards, ""); got != x.Stewards || s.Threshold() != x.Threshold {
		t.Errorf("stewards %s threshold %d, expected %s and %d", got, s.Threshold(), x.Stewards, x.Threshold)
	}
	proposals := map[string]string{}
	for _, p := range s.Proposals() {
		proposals[names[p.ID]] = string(p.Status)
		if p.Status == gov.ProposalVoid {
			proposals[names[p.ID]] += ": " + p.Void
		}
	}
	ignored := map[string]string{}
	for _, e := range log {
		if e.Ignored != "" {
			ignored[names[e.Update.ID]] = e.Ignored
		}
	}
	revoked := map[string]string{}
	for _, r := range s.Revoked() {
		revoked[govKeyName(r.DID)] = r.Effective.Format(time.RFC3339)
	}
	rotated := map[string]string{}
	for _, r := range s.Rotations() {
		rotated[govKeyName(r.From)] = govKeyName(r.To)
	}
	datasets := map[string]string{}
	for id, d := range s.Datasets() {
		for _, name := range []string{"d1", "d2", "d3"} {
			if goldenDataset(name) == id {
				datasets[name] = string(d.Status)
			}
		}
	}
	for _, c := range []struct {
		what      string
		got, want map[string]string
	}{
		{"proposals", proposals, x.Proposals}, {"ignored", ignored, x.Ignored}, {"revoked", revoked, x.Revoked},
		{"rotated", rotated, x.Rotated},
		{"datasets", datasets, x.Datasets}, {"params", s.Params(), x.Params},
	} {
		if len(c.got) != len(c.want) || !maps.Equal(c.got, c.want) {
			t.Errorf("%s: got %v, expected %v", c.what, c.got, c.want)
		}
	}
}

// logLine is an entry of the log in names: "NAME applied|ignored: WHY[; closed NAME STATUS …]".
func logLine(e gov.LogEntry, names map[protocol.ID]string) string {
	var b strings.Builder
	b.WriteString(names[e.Update.ID])
	if e.Ignored != "" {
		b.WriteString(" ignored: " + e.Ignored)
	} else {
		b.WriteString(" applied")
	}
	for i, c := range e.Closed {
		if i == 0 {
			b.WriteString("; closed")
		}
		b.WriteString(" " + names[c.Proposal] + " " + string(c.Status))
	}
	return b.String()
}

// checkAnyOrder adds the updates in every order (or, for more than six,
// in 300 random ones) and wants the same hash each time.
func checkAnyOrder(t *testing.T, n govNet, us []*gov.Update, want string) {
	t.Helper()
	try := func(perm []int) {
		dag := gov.New(n.g, n.net)
		for _, i := range perm {
			addAll(t, dag, us[i])
		}
		if got := dag.State().Hash(); got != want {
			t.Fatalf("delivered in order %v: hash %s, want %s", perm, got, want)
		}
	}
	if len(us) <= 6 {
		permute(len(us), try)
		return
	}
	r := rand.New(rand.NewPCG(uint64(len(us)), 7))
	for range 300 {
		try(r.Perm(len(us)))
	}
}

// firstDiff shows the first line where a and b differ.
func firstDiff(a, b []byte) string {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return "line " + strconv.Itoa(i+1) + ":\nfile: " + al[i] + "\ncode: " + bl[i]
		}
	}
	return "lengths differ"
}
