//go:build unix

package testnet_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/testnet"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testnet.CleanBuild()
	os.Exit(code)
}

// scenario checks one thing about a running swarm of at least nodes
// nodes, stewards its first stewards, threshold 2.
type scenario struct {
	name     string
	nodes    int
	stewards int
	run      func(t *testing.T, s *testnet.Swarm)
}

// scenarios run in this order on one shared swarm: keycompromise revokes
// node 3's key and rotate rotates node 2's, so they come last.
var scenarios = []scenario{
	{"publish", 3, 0, scenarioPublish},
	{"claims", 4, 0, scenarioClaims},
	{"derived", 4, 0, scenarioDerived},
	{"credit", 4, 0, scenarioCredit},
	{"restart", 3, 0, scenarioRestart},
	{"killed", 3, 0, scenarioKilled},
	{"outsider", 2, 0, scenarioOutsider},
	{"governance", 5, 3, scenarioGovernance},
	{"keycompromise", 4, 3, scenarioKeyCompromise},
	{"rotate", 3, 3, scenarioRotate},
}

// TestScenarios brings up one swarm of five daemons on loopback (stewards
// nodes 1-3, threshold 2) and runs every scenario on it in turn, twice:
// with announce gossip and without (every find is then a network query
// through the DHT). COMMONS_SCENARIO=name,name runs those alone, each on a
// swarm of its own of the size it needs, or of COMMONS_SCENARIO_NODES
// daemons when that is larger, without announce gossip when
// COMMONS_SCENARIO_GOSSIP=off (every find a query through the DHT):
//
//	COMMONS_SCENARIO=derived,credit COMMONS_SCENARIO_NODES=20 COMMONS_SCENARIO_GOSSIP=off go test -run TestScenarios -v -timeout 20m ./testnet/
func TestScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real daemons; skipped with -short")
	}
	if only := os.Getenv("COMMONS_SCENARIO"); only != "" {
		for _, name := range strings.Split(only, ",") {
			i := slices.IndexFunc(scenarios, func(s scenario) bool { return s.name == name })
			if i < 0 {
				t.Fatalf("no scenario %q", name)
			}
			sc := scenarios[i]
			nodes := sc.nodes
			if n, err := strconv.Atoi(os.Getenv("COMMONS_SCENARIO_NODES")); err == nil && n > nodes {
				nodes = n
			}
			t.Run(sc.name, func(t *testing.T) {
				s := testnet.UpTest(t, nodes, testnet.Options{Stewards: sc.stewards, NoGossip: os.Getenv("COMMONS_SCENARIO_GOSSIP") == "off"})
				sc.run(t, s)
			})
		}
		return
	}
	for _, mode := range []struct {
		name     string
		noGossip bool
	}{{"gossip", false}, {"dht", true}} {
		t.Run(mode.name, func(t *testing.T) {
			t0 := time.Now()
			s := testnet.UpTest(t, 5, testnet.Options{Stewards: 3, NoGossip: mode.noGossip})
			t.Logf("5 nodes up in %s", since(t0))
			for _, sc := range scenarios {
				t1 := time.Now()
				if !t.Run(sc.name, func(t *testing.T) { sc.run(t, s) }) {
					t.FailNow() // the scenarios after assume the swarm is as it left it
				}
				t.Logf("%s passed in %s", sc.name, since(t1))
			}
		})
	}
}

// queryTimeout bounds each network query of a check.
const queryTimeout = 10 * time.Second

// wait is how long a check that waits for the network may take.
const wait = 30 * time.Second

func since(t time.Time) time.Duration { return time.Since(t).Round(100 * time.Millisecond) }

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

func query() api.QueryOptions { return api.QueryOptions{Timeout: queryTimeout} }

// makeFiles writes count small files of random content into a new
// directory and returns it.
func makeFiles(t *testing.T, count int) string {
	dir := t.TempDir()
	for i := 1; i <= count; i++ {
		b := make([]byte, 16)
		rand.Read(b)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("part-%d.txt", i)), fmt.Appendf(nil, "%x part %d\n", b, i), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// publish runs `dataset add` of count new files on nd.
func publish(t *testing.T, nd *testnet.Node, count int, name string) (api.Published, string) {
	t.Helper()
	dir := makeFiles(t, count)
	var p api.Published
	nd.Must(t, &p, "dataset", "add", dir, "--name", name, "--license", "CC0-1.0")
	if p.ID.IsZero() || p.Kind != "dataset" {
		t.Fatalf("%s: dataset add gave %+v", nd, p)
	}
	return p, dir
}

func tag() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func attribution(t *testing.T, nd *testnet.Node, id protocol.ID) (*api.Attribution, error) {
	c, err := nd.Client()
	if err != nil {
		return nil, err
	}
	return c.Attribution(ctx(t), id, query())
}

func contributor(a *api.Attribution, claim protocol.ID) (api.Contributor, bool) {
	for _, c := range a.Contributors {
		if c.Claim == claim {
			return c, true
		}
	}
	return api.Contributor{}, false
}

// trustEverywhere waits until claim about subject shows trust want on
// every running node of s.
func trustEverywhere(t *testing.T, s *testnet.Swarm, subject, claim protocol.ID, want protocol.Trust, what string) time.Duration {
	t.Helper()
	return testnet.Eventually(t, wait, what, func() error {
		for _, nd := range s.Nodes {
			a, err := attribution(t, nd, subject)
			if err != nil {
				return fmt.Errorf("%s: attribution: %w", nd, err)
			}
			c, ok := contributor(a, claim)
			if !ok {
				return fmt.Errorf("%s: claim %s is not in the attribution of %s", nd, claim, subject)
			}
			if c.Trust != want {
				return fmt.Errorf("%s: claim %s has trust %s, signed by %v", nd, claim, c.Trust, c.Signers)
			}
		}
		return nil
	})
}

// scenarioPublish: a dataset published on node 1 is found from the last
// node by `locate` (of one of its files), `attribution` and `dataset show`.
func scenarioPublish(t *testing.T, s *testnet.Swarm) {
	last := s.Node(s.N())
	name := "publish scenario " + tag()
	p, dir := publish(t, s.Node(1), 3, name)
	file := filepath.Join(dir, "part-2.txt")
	b, _ := os.ReadFile(file)
	digest := fmt.Sprintf("%x", sha256.Sum256(b))
	how := "fetched by the query"
	if c, err := last.Client(); err == nil {
		if _, err := c.Dataset(ctx(t), p.ID, api.QueryOptions{Local: true}); err == nil {
			how = "already there by gossip"
		}
	}
	// locate first: it is the query that knows only a file's digest, and
	// once any query has fetched the record the others are answered
	// locally.
	tLoc := testnet.Eventually(t, wait, "locate of part-2.txt on the last node lists the dataset", func() error {
		var l api.LocateResult
		if err := last.CLI(ctx(t), "locate", file, "--json", "--timeout", queryTimeout.String()).JSON(&l); err != nil {
			return err
		}
		if l.SHA256 != digest {
			return fmt.Errorf("sha256 %s, want %s", l.SHA256, digest)
		}
		for _, d := range l.Datasets {
			if d.ID == p.ID && d.Path == "part-2.txt" {
				return nil
			}
		}
		return fmt.Errorf("%+v lists no %s at part-2.txt", l, p.ID)
	})
	tAttr := testnet.Eventually(t, wait, "attribution on the last node names node 1 as publisher", func() error {
		a, err := attribution(t, last, p.ID)
		if err != nil {
			return err
		}
		if a.Publisher != s.Node(1).DID || a.Name != name {
			return fmt.Errorf("publisher %s, name %q", a.Publisher, a.Name)
		}
		return nil
	})
	tShow := testnet.Eventually(t, wait, "dataset show on the last node", func() error {
		c, err := last.Client()
		if err != nil {
			return err
		}
		d, err := c.Dataset(ctx(t), p.ID, query())
		if err != nil {
			return err
		}
		if d.ID != p.ID || d.Name != name || len(d.Files) != 3 {
			return fmt.Errorf("%+v", d)
		}
		return nil
	})
	t.Logf("node %d of %d found node 1's dataset (%s): locate after %s, attribution %s, dataset show %s", last.K, s.N(), how, tLoc, tAttr, tShow)
}

// scenarioClaims: claims about one dataset, made on nodes 1, 2 and 3, all
// appear in one attribution on the last node.
func scenarioClaims(t *testing.T, s *testnet.Swarm) {
	last := s.Node(s.N())
	p, _ := publish(t, s.Node(1), 2, "claims scenario "+tag())
	roles := []string{"author", "annotator", "curator"}
	claims := make([]protocol.ID, 3)
	for i := range 3 {
		var c api.Published
		s.Node(i+1).Must(t, &c, "claim", "add", "--subject", p.ID.String(), "--role", roles[i], "--weight", fmt.Sprintf("0.%d", i+1))
		claims[i] = c.ID
	}
	took := testnet.Eventually(t, wait, "attribution on the last node lists the claims of nodes 1, 2 and 3", func() error {
		a, err := attribution(t, last, p.ID)
		if err != nil {
			return err
		}
		for i, id := range claims {
			c, ok := contributor(a, id)
			if !ok || c.DID != s.Node(i+1).DID || c.Role != roles[i] {
				return fmt.Errorf("node %d's claim %s (role %s, by %s) is missing: %+v", i+1, id, roles[i], s.Node(i+1).DID, a.Contributors)
			}
		}
		if len(a.Contributors) != 3 {
			return fmt.Errorf("not 3 claims: %+v", a.Contributors)
		}
		return nil
	})
	t.Logf("node %d saw all three claims in one attribution after %s", last.K, took)
}

// scenarioDerived: a corpus published on node 1, a cleaned copy of it
// made on node 2, a model trained on the copy on node 3; the last node
// finds both with `derived`, and gives the same answer as node 1.
func scenarioDerived(t *testing.T, s *testnet.Swarm) {
	last := s.Node(s.N())
	corpus, _ := publish(t, s.Node(1), 2, "derived scenario "+tag())
	var shown api.DatasetView
	testnet.Eventually(t, wait, "node 2 finds the corpus", func() error {
		return s.Node(2).CLI(ctx(t), "dataset", "show", corpus.ID.String(), "--json", "--timeout", queryTimeout.String()).JSON(&shown)
	})
	var cleaned api.Published
	s.Node(2).Must(t, &cleaned, "dataset", "add", makeFiles(t, 1), "--name", "cleaned "+tag(), "--license", "CC0-1.0", "--parent", corpus.ID.String())
	testnet.Eventually(t, wait, "node 3 finds the cleaned copy", func() error {
		return s.Node(3).CLI(ctx(t), "dataset", "show", cleaned.ID.String(), "--json", "--timeout", queryTimeout.String()).JSON(&shown)
	})
	var model api.Published
	s.Node(3).Must(t, &model, "derive", "--digest", "sha256:"+strings.Repeat(tag(), 8), "--input", cleaned.ID.String(), "--activity", "trained-on")
	derived := func(nd *testnet.Node) (*api.Derived, error) {
		c, err := nd.Client()
		if err != nil {
			return nil, err
		}
		return c.Derived(ctx(t), corpus.ID, query())
	}
	var onLast *api.Derived
	took := testnet.Eventually(t, wait, "derived on the last node lists the cleaned copy and the model", func() error {
		d, err := derived(last)
		if err != nil {
			return err
		}
		if len(d.Derived) != 2 || d.Derived[0].ID != cleaned.ID || d.Derived[1].ID != model.ID || d.Derived[1].Depth != 2 {
			return fmt.Errorf("%+v", d.Derived)
		}
		onLast = d
		return nil
	})
	testnet.Eventually(t, wait, "derived on node 1 gives the same answer", func() error {
		d, err := derived(s.Node(1))
		if err != nil {
			return err
		}
		if fmt.Sprintf("%+v", d) != fmt.Sprintf("%+v", onLast) {
			return fmt.Errorf("node 1: %+v\nlast node: %+v", d, onLast)
		}
		return nil
	})
	t.Logf("node %d found what was made from node 1's corpus after %s", last.K, took)
}

// scenarioCredit: a corpus published on node 1 with a claim of node 1's,
// a cleaned copy of it made on node 2 (the corpus weighing 0.5 in it)
// with a claim of node 2's, a model trained on the copy recorded on node
// 3; the last node, which saw none of it, gives the credit for the
// model's derivation byte for byte as node 3 does, and every share is
// there.
func scenarioCredit(t *testing.T, s *testnet.Swarm) {
	last := s.Node(s.N())
	corpus, _ := publish(t, s.Node(1), 2, "credit scenario "+tag())
	var c api.Published
	s.Node(1).Must(t, &c, "claim", "add", "--subject", corpus.ID.String(), "--role", "author", "--weight", "1")
	var shown api.DatasetView
	testnet.Eventually(t, wait, "node 2 finds the corpus", func() error {
		return s.Node(2).CLI(ctx(t), "dataset", "show", corpus.ID.String(), "--json", "--timeout", queryTimeout.String()).JSON(&shown)
	})
	var cleaned api.Published
	s.Node(2).Must(t, &cleaned, "dataset", "add", makeFiles(t, 1), "--name", "cleaned "+tag(), "--license", "CC0-1.0", "--parent", corpus.ID.String()+"=0.5")
	s.Node(2).Must(t, &c, "claim", "add", "--subject", cleaned.ID.String(), "--role", "curator", "--weight", "1")
	testnet.Eventually(t, wait, "node 3 finds the cleaned copy", func() error {
		return s.Node(3).CLI(ctx(t), "dataset", "show", cleaned.ID.String(), "--json", "--timeout", queryTimeout.String()).JSON(&shown)
	})
	var model api.Published
	s.Node(3).Must(t, &model, "derive", "--digest", "sha256:"+strings.Repeat(tag(), 8), "--input", cleaned.ID.String(), "--activity", "trained-on")
	credit := func(nd *testnet.Node) (*api.Credit, error) {
		c, err := nd.Client()
		if err != nil {
			return nil, err
		}
		return c.Credit(ctx(t), model.ID, protocol.Asserted, query())
	}
	var want *api.Credit
	testnet.Eventually(t, wait, "credit on node 3 shares the model among nodes 1 and 2", func() error {
		cr, err := credit(s.Node(3))
		if err != nil {
			return err
		}
		if len(cr.Shares) != 2 || len(cr.Missing) != 0 {
			return fmt.Errorf("%+v", cr)
		}
		want = cr
		return nil
	})
	took := testnet.Eventually(t, wait, "credit on the last node gives node 3's answer", func() error {
		cr, err := credit(last)
		if err != nil {
			return err
		}
		got, _ := json.Marshal(cr)
		exp, _ := json.Marshal(want)
		if !bytes.Equal(got, exp) {
			return fmt.Errorf("last node: %s\nnode 3: %s", got, exp)
		}
		return nil
	})
	t.Logf("node %d of %d gave the credit of node 3's model as node 3 does after %s: %+v", last.K, s.N(), took, want.Shares)
}

// scenarioRestart: a node stopped and started again keeps its identity
// and its data, catches up with what was published while it was down, and
// still serves what it published.
func scenarioRestart(t *testing.T, s *testnet.Swarm) {
	k := s.Node(2) // in the line node 2 is node 3's way into the swarm
	last := s.Node(s.N())
	before, err := k.API(t).ID(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	mine, _ := publish(t, k, 2, "restart scenario, node 2's "+tag())
	k.StopT(t)
	if r := k.CLI(ctx(t), "id", "--json"); r.Code == 0 {
		t.Fatalf("node 2 still answers after stop:\n%s", r)
	}
	missed, _ := publish(t, s.Node(1), 2, "restart scenario, published meanwhile "+tag())
	t0 := time.Now()
	k.StartT(t)
	tStart := since(t0)
	after, err := k.API(t).ID(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if before.DID != after.DID || before.PeerID != after.PeerID || before.Network != after.Network {
		t.Fatalf("node 2's identity changed across the restart: %+v -> %+v", before, after)
	}
	// A clean stop lets the restarted node resume its announcements'
	// cycle instead of announcing all it holds again (SPEC.md §7.2).
	if log, err := os.ReadFile(k.LogPath()); err != nil || bytes.Contains(log, []byte("did not stop cleanly")) {
		t.Errorf("node 2's log after a clean stop says it did not stop cleanly (%v):\n%s", err, k.LogTail(20))
	}
	if _, err := k.API(t).Dataset(ctx(t), mine.ID, api.QueryOptions{Local: true}); err != nil {
		t.Fatalf("node 2 lost its own dataset across the restart: %v", err)
	}
	publishedBy := func(nd *testnet.Node, id protocol.ID, by protocol.DID) func() error {
		return func() error {
			a, err := attribution(t, nd, id)
			if err != nil {
				return err
			}
			if a.Publisher != by {
				return fmt.Errorf("publisher %s, want %s", a.Publisher, by)
			}
			return nil
		}
	}
	tCaught := testnet.Eventually(t, wait, "node 2 finds what node 1 published while it was down", publishedBy(k, missed.ID, s.Node(1).DID))
	tServed := testnet.Eventually(t, wait, "the last node finds what node 2 published before its restart", publishedBy(last, mine.ID, k.DID))
	t.Logf("node 2 kept did, peer_id, network and its dataset; up again in %s, found what it missed after %s, node %d found its data after %s", tStart, tCaught, last.K, tServed)
}

// scenarioKilled: a dataset acknowledged by a node that is then killed
// (SIGKILL, no clean stop) is still found by the others once the node is
// back: the restarted node, which did not stop cleanly, announces all it
// holds again (SPEC.md §7.2), whether or not its keys left before it died.
func scenarioKilled(t *testing.T, s *testnet.Swarm) {
	k := s.Node(2)
	last := s.Node(s.N())
	p, _ := publish(t, k, 2, "killed scenario, node 2's "+tag())
	if err := k.Kill(); err != nil {
		t.Fatal(err)
	}
	k.StartT(t)
	log, err := os.ReadFile(k.LogPath())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(log, []byte("did not stop cleanly")) {
		t.Errorf("node 2's log does not say that its last run did not stop cleanly:\n%s", k.LogTail(20))
	}
	took := testnet.Eventually(t, wait, "the last node finds what node 2 acknowledged before it was killed", func() error {
		a, err := attribution(t, last, p.ID)
		if err != nil {
			return err
		}
		if a.Publisher != k.DID {
			return fmt.Errorf("publisher %s, want %s", a.Publisher, k.DID)
		}
		return nil
	})
	t.Logf("node %d found node 2's dataset %s after node 2 was killed and restarted", last.K, took)
}

// scenarioOutsider: a node founded on another genesis, told to join the
// swarm, is not among node 1's peers and does not see the swarm's data;
// in a private swarm a node without the swarm key cannot connect.
func scenarioOutsider(t *testing.T, s *testnet.Swarm) {
	last := s.Node(s.N())
	p, _ := publish(t, s.Node(1), 2, "outsider scenario "+tag())
	took := testnet.Eventually(t, wait, "the last node (a member) finds the dataset", func() error {
		a, err := attribution(t, last, p.ID)
		if err != nil {
			return err
		}
		if a.Publisher != s.Node(1).DID {
			return fmt.Errorf("publisher %s", a.Publisher)
		}
		return nil
	})
	t.Logf("node %d finds %s after %s; starting a node of another genesis that bootstraps to node 1", last.K, p.ID, took)

	out := testnet.UpTest(t, 1, testnet.Options{Bin: s.Bin, Bootstrap: []string{s.Node(1).Addr()}}).Node(1)
	if _, err := out.API(t).Connect(ctx(t), s.Node(1).Addr()); err != nil {
		t.Logf("the outsider's swarm connect to node 1 was refused: %v", err)
	} else {
		t.Logf("the outsider's swarm connect to node 1 succeeded (a transport connection; the network ID must still keep it out)")
	}
	testnet.Eventually(t, 10*time.Second, "the outsider is not among node 1's peers", func() error {
		peers, err := s.Node(1).API(t).Peers(ctx(t))
		if err != nil {
			return err
		}
		for _, pi := range peers {
			if pi.PeerID == out.PeerID {
				return fmt.Errorf("node 1's peers list the outsider %s", out.PeerID)
			}
		}
		return nil
	})
	a, err := out.API(t).Attribution(ctx(t), p.ID, api.QueryOptions{Timeout: 3 * time.Second})
	switch {
	case err == nil && (!a.Publisher.IsZero() || len(a.Contributors) > 0):
		t.Fatalf("a node of another genesis sees the swarm's dataset: %+v", a)
	case err != nil && protocol.KindOf(err) != protocol.NotFound && protocol.KindOf(err) != protocol.Transient && !errors.Is(err, context.DeadlineExceeded):
		t.Fatalf("attribution on the outsider failed, and not for want of the data: %v", err)
	}
	if _, err := out.API(t).ID(ctx(t)); err != nil {
		t.Fatalf("the outsider's daemon no longer answers: %v", err)
	}
	if _, err := out.API(t).Dataset(ctx(t), p.ID, api.QueryOptions{Timeout: 3 * time.Second}); err == nil {
		t.Fatal("a node of another genesis shows the swarm's dataset")
	}

	private := testnet.UpTest(t, 2, testnet.Options{Bin: s.Bin, SwarmKey: true})
	nokey := testnet.UpTest(t, 1, testnet.Options{Bin: s.Bin, Genesis: private.GenesisPath()}).Node(1)
	c60, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := private.Node(2).API(t).Connect(c60, private.Node(1).Addr()); err != nil {
		t.Fatalf("a node with the swarm key cannot connect to another: %v", err)
	}
	if _, err := nokey.API(t).Connect(c60, private.Node(1).Addr()); err == nil {
		t.Fatal("a node without the swarm key connected to the private swarm")
	} else {
		t.Logf("keyless connect refused: %v", err)
	}
	peers, err := private.Node(1).API(t).Peers(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, pi := range peers {
		if pi.PeerID == nokey.PeerID {
			t.Fatalf("the private swarm's node 1 lists the keyless node %s among its peers", nokey.PeerID)
		}
	}
}

// govState asks nd for its governance state.
func govState(t *testing.T, nd *testnet.Node) (*api.GovState, error) {
	c, err := nd.Client()
	if err != nil {
		return nil, err
	}
	return c.GovState(ctx(t))
}

// needStewards fails t unless nodes 1..k are the stewards, threshold 2,
// and the nodes in not are not.
func needStewards(t *testing.T, s *testnet.Swarm, k int, not ...int) *api.GovState {
	t.Helper()
	st, err := govState(t, s.Node(1))
	if err != nil {
		t.Fatal(err)
	}
	if st.Threshold != 2 {
		t.Fatalf("needs threshold 2, the swarm has %d", st.Threshold)
	}
	for i := 1; i <= k; i++ {
		if !st.IsSteward(s.Node(i).DID) {
			t.Fatalf("node %d is not a steward: needs stewards 1-%d (%v)", i, k, st.Stewards)
		}
	}
	for _, i := range not {
		if st.IsSteward(s.Node(i).DID) {
			t.Fatalf("node %d is a steward: the scenario needs it not to be", i)
		}
	}
	return st
}

// holdsProposal waits until nd holds proposal id (a vote on a proposal
// the daemon has not received yet is refused).
func holdsProposal(t *testing.T, nd *testnet.Node, id protocol.ID) {
	t.Helper()
	testnet.Eventually(t, wait, fmt.Sprintf("%s holds proposal %s", nd, id), func() error {
		st, err := govState(t, nd)
		if err != nil {
			return err
		}
		if st.Proposal(id) == nil {
			return errors.New("not yet")
		}
		return nil
	})
}

// passes: a proposal signed on k1 (by `gov propose ARGS`), voted yes on
// k2 once it arrived there; it must pass. It returns the proposal's ID.
func passes(t *testing.T, k1, k2 *testnet.Node, args ...string) protocol.ID {
	t.Helper()
	var p api.GovPublished
	k1.Must(t, &p, append([]string{"gov", "propose"}, args...)...)
	if p.Status != "open" {
		t.Fatalf("gov propose %v on %s: want an open proposal, got %+v", args, k1, p)
	}
	holdsProposal(t, k2, p.ID)
	var v api.GovPublished
	k2.Must(t, &v, "gov", "vote", p.ID.String(), "yes")
	if v.Status != "passed" {
		t.Fatalf("gov vote %s yes on %s (the second steward): want passed, got %+v", p.ID, k2, v)
	}
	return p.ID
}

// converged returns a check that every node in nodes reports one
// state_hash and one count of updates; the state is kept in *last.
func converged(t *testing.T, nodes []*testnet.Node, last **api.GovState) func() error {
	return func() error {
		var first *api.GovState
		var seen []string
		for _, nd := range nodes {
			st, err := govState(t, nd)
			if err != nil {
				return fmt.Errorf("%s: %w", nd, err)
			}
			seen = append(seen, fmt.Sprintf("%s: %s updates %d", nd, st.StateHash, st.Updates))
			if first == nil {
				first = st
			} else if st.StateHash != first.StateHash || st.Updates != first.Updates {
				return errors.New(strings.Join(seen, "; "))
			}
		}
		if last != nil {
			*last = first
		}
		return nil
	}
}

var notSteward = regexp.MustCompile(`not (a|a current) steward`)

// scenarioGovernance: over stewards nodes 1-3, threshold 2: (a) a
// proposal passes by a vote and every node reaches one state; (b) a node
// stopped during ten proposals that pass catches up when it starts again;
// (c) a key revoked by governance: its claims show revoked on every node;
// (d) a non-steward's proposal is refused and publishes nothing; (e) a
// delisted dataset shows standing delisted on every node.
func scenarioGovernance(t *testing.T, s *testnet.Swarm) {
	off, outsider := s.Node(4), s.Node(s.N())
	needStewards(t, s, 3, off.K, outsider.K)
	n1, n2, n3 := s.Node(1), s.Node(2), s.Node(3)
	name := "scenario-" + tag()

	// (a) One proposal, one vote, one state everywhere.
	pa := passes(t, n1, n2, "set-param", name, "a")
	var st *api.GovState
	tA := testnet.Eventually(t, wait, "every node reports node 1's state_hash after the proposal passed", converged(t, s.Nodes, &st))
	if last, err := govState(t, s.Node(s.N())); err != nil || last.Params[name] != "a" {
		t.Fatalf("the last node's params lack %s=a: %v %+v", name, err, last)
	}
	t.Logf("(a) set-param %s (%s) passed by node 2's vote; %d nodes on %s after %s", name, pa, s.N(), st.StateHash, tA)

	// (b) Ten proposals pass while a node is off.
	off.StopT(t)
	st0, err := govState(t, n1)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 10; i++ {
		passes(t, n1, n2, "set-param", fmt.Sprintf("%s-off-%d", name, i), fmt.Sprint(i))
	}
	var running []*testnet.Node
	for _, nd := range s.Nodes {
		if nd != off {
			running = append(running, nd)
		}
	}
	testnet.Eventually(t, wait, "the running nodes agree after ten proposals passed with node 4 off", converged(t, running, &st))
	if st.Updates != st0.Updates+20 {
		t.Fatalf("ten proposals and their votes: want %d updates, got %d", st0.Updates+20, st.Updates)
	}
	t0 := time.Now()
	off.StartT(t)
	tB := testnet.Eventually(t, wait, "node 4, off during ten passed proposals, has node 1's state_hash and updates", converged(t, []*testnet.Node{n1, off}, nil))
	t.Logf("(b) node 4 missed updates %d-%d; it agreed with node 1 %s after its start (%s after it answered)", st0.Updates+1, st.Updates, since(t0), tB)

	// (c) A key leaks: a claim it signs is revoked everywhere once
	// governance revokes the key from an hour before, while node 1's own
	// claim about the same dataset is not; and no node signs with it.
	ds, _ := publish(t, outsider, 2, "governance scenario "+tag())
	key := "revoked-" + tag()
	var k api.KeyInfo
	n1.Must(t, &k, "key", "new", key)
	var bad api.Published
	n1.Must(t, &bad, "claim", "add", "--subject", ds.ID.String(), "--role", "annotator", "--weight", "0.5", "--as", key)
	effective := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	pc := passes(t, n1, n2, "revoke-key", k.DID.String(), "--effective", effective, "--reason", "governance scenario: key "+key+" compromised")
	n1.Fails(t, 1, []string{"revoked by this commons' governance"}, "claim", "add", "--subject", ds.ID.String(), "--role", "editor", "--weight", "0.1", "--as", key)
	var good api.Published
	n1.Must(t, &good, "claim", "add", "--subject", ds.ID.String(), "--role", "curator", "--weight", "0.5")
	tC := testnet.Eventually(t, wait, "the revoked key's claim shows revoked on every node, node 1's own does not", func() error {
		for _, nd := range s.Nodes {
			a, err := attribution(t, nd, ds.ID)
			if err != nil {
				return fmt.Errorf("%s: %w", nd, err)
			}
			if c, ok := contributor(a, bad.ID); !ok || c.Trust != protocol.Revoked {
				return fmt.Errorf("%s: claim %s by the revoked key: %+v", nd, bad.ID, c)
			}
			if c, ok := contributor(a, good.ID); !ok || c.Trust == protocol.Revoked {
				return fmt.Errorf("%s: node 1's own claim %s: present %v, %+v", nd, good.ID, ok, c)
			}
		}
		return nil
	})
	t.Logf("(c) key %s revoked by %s; its claim shows revoked on all %d nodes after %s, node 1's own claim does not", k.DID, pc, s.N(), tC)

	// (d) A non-steward is refused, and nothing is published: the
	// refusing node's own log, which would hold the update the moment it
	// was signed, is unchanged; node 1's is checked at the end, once later
	// updates have reached every node.
	logBefore, err := outsider.API(t).GovLog(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	r := outsider.Fails(t, 1, nil, "gov", "propose", "set-param", name+"-outsider", "x", "--json")
	if !notSteward.MatchString(r.Stderr) || r.Stdout != "" {
		t.Fatalf("gov propose on a non-steward: the error does not say it is not a steward:\n%s", r)
	}
	logAfter, err := outsider.API(t).GovLog(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(logBefore, logAfter, func(a, b api.GovLogEntry) bool {
		return a.ID == b.ID && a.Author == b.Author && a.Result == b.Result
	}) {
		t.Fatalf("node %d's gov log changed with its refused proposal: %d updates, then %d", outsider.K, len(logBefore), len(logAfter))
	}
	t.Logf("(d) node %d refused: %s", outsider.K, strings.TrimSpace(r.Stderr))

	// (e) A delisted dataset says so everywhere.
	pe := passes(t, n2, n3, "dataset-status", ds.ID.String(), "delisted", "--reason", "governance scenario: delisted")
	tE := testnet.Eventually(t, wait, "the delisted dataset shows standing delisted on every node", func() error {
		for _, nd := range s.Nodes {
			a, err := attribution(t, nd, ds.ID)
			if err != nil {
				return fmt.Errorf("%s: %w", nd, err)
			}
			if a.Standing == nil || a.Standing.Status != "delisted" {
				return fmt.Errorf("%s: attribution standing %+v", nd, a.Standing)
			}
			d, err := nd.API(t).Dataset(ctx(t), ds.ID, query())
			if err != nil {
				return fmt.Errorf("%s: %w", nd, err)
			}
			if d.Standing == nil || d.Standing.Status != "delisted" {
				return fmt.Errorf("%s: dataset show standing %+v", nd, d.Standing)
			}
		}
		return nil
	})
	testnet.Eventually(t, wait, "every node reports the same state_hash at the end", converged(t, s.Nodes, nil))
	// By now a proposal of the outsider that slipped out in (d) would
	// have reached node 1 too, before the updates of (e).
	log, err := n1.API(t).GovLog(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range log {
		if e.Author == outsider.DID {
			t.Fatalf("node 1's gov log holds update %s by node %d, a non-steward", e.ID, outsider.K)
		}
	}
	t.Logf("(e) %s delisted by %s: standing delisted in attribution and dataset show on all %d nodes after %s", ds.ID, pe, s.N(), tE)
}
