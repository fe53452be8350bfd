package main

// End-to-end tests of governance on one daemon, a commons of one: its node
// key is the only steward and the threshold 1, so the node's proposals pass
// at once, and a second steward makes votes matter.

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/testnet"
)

// JSON shapes of governance, by the contract's field names.
type (
	govPublishedJSON struct {
		ID        string `json:"id"`
		Kind      string `json:"kind"`
		Author    string `json:"author"`
		Proposal  string `json:"proposal"`
		Status    string `json:"status"`
		StateHash string `json:"state_hash"`
	}
	govProposalJSON struct {
		ID     string   `json:"id"`
		Action string   `json:"action"`
		Status string   `json:"status"`
		Yes    []string `json:"yes"` // the stewards who voted yes
		No     []string `json:"no"`
	}
	govStateJSON struct {
		Network   string            `json:"network"`
		StateHash string            `json:"state_hash"`
		Heads     []string          `json:"heads"`
		Stewards  []string          `json:"stewards"`
		Threshold int               `json:"threshold"`
		Proposals []govProposalJSON `json:"proposals"`
	}
	govLogJSON struct {
		ID     string `json:"id"`
		Author string `json:"author"`
	}
	standingJSON struct {
		Status string `json:"status"`
		Reason string `json:"reason"`
	}
)

func (s govStateJSON) proposal(t *testing.T, id string) govProposalJSON {
	t.Helper()
	i := slices.IndexFunc(s.Proposals, func(p govProposalJSON) bool { return p.ID == id })
	if i < 0 {
		t.Fatalf("gov state lists no proposal %s: %+v", id, s.Proposals)
	}
	return s.Proposals[i]
}

// govRepo starts a daemon that founds a commons of one and returns a
// function that completes a command line with --repo and --json.
func govRepo(t *testing.T) (repo string, r func(...string) []string) {
	t.Helper()
	repo = filepath.Join(t.TempDir(), "repo")
	testnet.Start(t, repo)
	return repo, func(args ...string) []string { return append(args, "--repo", repo, "--json") }
}

func TestGovCommonsOfOne(t *testing.T) {
	repo, r := govRepo(t)
	var me idJSON
	testnet.RunJSON(t, &me, r("id")...)
	var network networkJSON
	testnet.RunJSON(t, &network, r("id")...)
	var alice, mallory keyJSON
	testnet.RunJSON(t, &alice, r("key", "new", "alice")...)
	testnet.RunJSON(t, &mallory, r("key", "new", "mallory")...)

	var st govStateJSON
	testnet.RunJSON(t, &st, r("gov", "state")...)
	if st.Network == "" || st.Network != network.Network || st.StateHash == "" || st.Threshold != 1 || !slices.Equal(st.Stewards, []string{me.DID}) {
		t.Fatalf("gov state of a commons of one: %+v, want network %s, the node key %s the only steward, threshold 1", st, network.Network, me.DID)
	}
	var log0 []govLogJSON
	testnet.RunJSON(t, &log0, r("gov", "log")...)

	// The node key's proposal passes at once; alice (named by her DID)
	// becomes a steward.
	var p govPublishedJSON
	testnet.RunJSON(t, &p, r("gov", "propose", "add-steward", alice.DID)...)
	if p.Kind != "proposal" || p.ID == "" || p.Proposal != p.ID || p.Status != "passed" || p.Author != me.DID || p.StateHash == st.StateHash {
		t.Errorf("gov propose add-steward: %+v, want a passed proposal by %s and a new state hash", p, me.DID)
	}
	testnet.RunJSON(t, &st, r("gov", "state")...)
	if !slices.Contains(st.Stewards, me.DID) || !slices.Contains(st.Stewards, alice.DID) || len(st.Stewards) != 2 {
		t.Errorf("stewards after add-steward: %q, want %s and %s", st.Stewards, me.DID, alice.DID)
	}
	if st.StateHash != p.StateHash {
		t.Errorf("gov state hash %s, want the one gov propose gave, %s", st.StateHash, p.StateHash)
	}
	if got := st.proposal(t, p.ID); got.Action != "add-steward" || got.Status != "passed" || !slices.Equal(got.Yes, []string{me.DID}) || len(got.No) != 0 {
		t.Errorf("proposal in gov state: %+v, want add-steward passed by the proposer's yes", got)
	}
	var log1 []govLogJSON
	testnet.RunJSON(t, &log1, r("gov", "log")...)
	if len(log1) != len(log0)+1 || log1[len(log1)-1].ID != p.ID || log1[len(log1)-1].Author != me.DID {
		t.Errorf("gov log after one proposal: %+v, want %d entries ending in %s by %s", log1, len(log0)+1, p.ID, me.DID)
	}

	// A key that is not a steward's is refused, and nothing is published.
	testnet.RunFails(t, nil, []string{"not a current steward", mallory.DID},
		"gov", "propose", "remove-steward", me.DID, "--as", "mallory", "--repo", repo)
	testnet.RunFails(t, nil, []string{"not a current steward"}, "gov", "propose", "add-steward", "mallory", "--as", "mallory", "--repo", repo)
	var log2 []govLogJSON
	testnet.RunJSON(t, &log2, r("gov", "log")...)
	if len(log2) != len(log1) {
		t.Errorf("gov log after refused proposals: %d entries, want %d", len(log2), len(log1))
	}

	// With threshold 2, a proposal waits for the second steward's vote.
	testnet.RunJSON(t, &p, r("gov", "propose", "set-threshold", "2")...)
	if p.Status != "passed" {
		t.Fatalf("set-threshold 2 with threshold 1: %+v, want passed", p)
	}
	var open govPublishedJSON
	testnet.RunJSON(t, &open, r("gov", "propose", "set-param", "review-days", "14", "--expires", "1h")...)
	if open.Status != "open" {
		t.Fatalf("a proposal with threshold 2: %+v, want open", open)
	}
	testnet.RunFails(t, nil, []string{"already"}, "gov", "vote", open.ID, "yes", "--repo", repo) // the proposer's proposal was its vote
	testnet.RunFails(t, nil, []string{"not a current steward"}, "gov", "vote", open.ID, "yes", "--as", "mallory", "--repo", repo)
	var v govPublishedJSON
	testnet.RunJSON(t, &v, r("gov", "vote", open.ID, "yes", "--as", "alice")...)
	if v.Kind != "vote" || v.ID == open.ID || v.Proposal != open.ID || v.Status != "passed" || v.Author != alice.DID {
		t.Errorf("gov vote: %+v, want alice's vote passing %s", v, open.ID)
	}
	testnet.RunFails(t, nil, []string{open.ID}, "gov", "vote", open.ID, "no", "--as", "alice", "--repo", repo) // closed now

	// A vote on an unknown proposal fails.
	unknown := protocol.ObjectID([]byte(`{"no such proposal":1}`)).String()
	testnet.RunFails(t, nil, []string{unknown}, "gov", "vote", unknown, "yes", "--repo", repo)

	// The text forms.
	out := testnet.Run(t, nil, "gov", "propose", "remove-steward", "alice", "--repo", repo)
	if out.Code != 0 || !strings.HasPrefix(out.Stdout, "proposal ") || !strings.Contains(out.Stdout, "open") {
		t.Errorf("gov propose (text):\n%s", out)
	}
	out = testnet.Run(t, nil, "gov", "state", "--repo", repo)
	for _, want := range []string{network.Network, alice.DID, "threshold", "review-days"} {
		if out.Code != 0 || !strings.Contains(out.Stdout, want) {
			t.Errorf("gov state (text) does not show %q:\n%s", want, out)
		}
	}
	out = testnet.Run(t, nil, "gov", "log", "--repo", repo)
	if out.Code != 0 || !strings.Contains(out.Stdout, open.ID) || !strings.Contains(out.Stdout, v.ID) {
		t.Errorf("gov log (text) does not list %s and %s:\n%s", open.ID, v.ID, out)
	}
}

// TestGovAttribution: governance decides what attribution shows.
func TestGovAttribution(t *testing.T) {
	repo, r := govRepo(t)
	var carol keyJSON
	testnet.RunJSON(t, &carol, r("key", "new", "carol")...)
	var ds publishedJSON
	testnet.RunJSON(t, &ds, r("dataset", "add", testnet.WriteTree(t, map[string]string{"a.txt": "governed"}), "--name", "Governed", "--license", "MIT")...)

	// A delisted dataset says so in dataset show and attribution.
	var p govPublishedJSON
	testnet.RunJSON(t, &p, r("gov", "propose", "dataset-status", ds.ID, "delisted", "--reason", "license withdrawn")...)
	if p.Status != "passed" {
		t.Fatalf("dataset-status: %+v, want passed", p)
	}
	var shown struct {
		Standing *standingJSON `json:"standing"`
	}
	testnet.RunJSON(t, &shown, r("dataset", "show", ds.ID)...)
	if shown.Standing == nil || shown.Standing.Status != "delisted" || shown.Standing.Reason != "license withdrawn" {
		t.Errorf("dataset show of a delisted dataset: standing %+v", shown.Standing)
	}
	var attr struct {
		Standing *standingJSON `json:"standing"`
	}
	testnet.RunJSON(t, &attr, r("attribution", ds.ID)...)
	if attr.Standing == nil || attr.Standing.Status != "delisted" {
		t.Errorf("attribution of a delisted dataset: standing %+v", attr.Standing)
	}
	for _, cmd := range [][]string{{"dataset", "show", ds.ID}, {"attribution", ds.ID}} {
		if out := testnet.Run(t, nil, append(cmd, "--repo", repo)...); out.Code != 0 || !strings.Contains(out.Stdout, "standing:") || !strings.Contains(out.Stdout, "delisted: license withdrawn") {
			t.Errorf("%s as text does not show the standing:\n%s", cmd[0], out)
		}
	}

	// A key revoked from a time: its claims from then on show as revoked;
	// the ones before keep their trust only when a party that is not
	// revoked witnessed them (here the dataset's publisher, by co-signing),
	// since their date is the key holder's word; and the node signs
	// nothing more with it, co-signatures included.
	var before, unwitnessed, after publishedJSON
	testnet.RunJSON(t, &before, r("claim", "add", "--subject", ds.ID, "--role", "author", "--weight", "0.5", "--as", "carol")...)
	testnet.RunJSON(t, &unwitnessed, r("claim", "add", "--subject", ds.ID, "--role", "reviewer", "--weight", "0.3", "--as", "carol")...)
	var cosigned publishedJSON
	testnet.RunJSON(t, &cosigned, r("claim", "cosign", before.ID)...)
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(1100 * time.Millisecond)))
	effective := time.Now().UTC().Format(time.RFC3339)
	// Signed after the effective time, before the revocation passes: the
	// leaked key in use.
	testnet.RunJSON(t, &after, r("claim", "add", "--subject", ds.ID, "--role", "annotator", "--weight", "0.2", "--as", "carol")...)
	testnet.RunJSON(t, &p, r("gov", "propose", "revoke-key", "carol", "--effective", effective, "--reason", "laptop stolen")...)
	if p.Status != "passed" {
		t.Fatalf("revoke-key: %+v, want passed", p)
	}
	testnet.RunFails(t, nil, []string{"was revoked by this commons' governance", "nothing was signed"}, r("claim", "add", "--subject", ds.ID, "--role", "editor", "--weight", "0.1", "--as", "carol")...)
	testnet.RunFails(t, nil, []string{carol.DID, "was revoked by this commons' governance", "laptop stolen", "nothing was signed"}, r("claim", "cosign", unwitnessed.ID, "--as", "carol")...)
	if got := trustOf(t, repo, ds.ID, after.ID); got.Trust != "revoked" {
		t.Errorf("claim by carol after her key's revocation: trust %q, want revoked", got.Trust)
	}
	if got := trustOf(t, repo, ds.ID, before.ID); got.Trust != "mutual" {
		t.Errorf("claim by carol before the effective time, co-signed by the publisher: trust %q, want it kept (mutual)", got.Trust)
	}
	if got := trustOf(t, repo, ds.ID, unwitnessed.ID); got.Trust != "revoked" {
		t.Errorf("claim by carol before the effective time, witnessed by no one: trust %q, want revoked", got.Trust)
	}
	if out := testnet.Run(t, nil, r("gov", "state")...); !strings.Contains(out.Stdout, carol.DID) {
		t.Errorf("gov state --json does not list the revoked key %s:\n%s", carol.DID, out)
	}
	if out := testnet.Run(t, nil, "gov", "state", "--repo", repo); !strings.Contains(out.Stdout, carol.DID) || !strings.Contains(out.Stdout, ds.ID) {
		t.Errorf("gov state (text) shows neither the revoked key %s nor the dataset %s:\n%s", carol.DID, ds.ID, out)
	}
}
