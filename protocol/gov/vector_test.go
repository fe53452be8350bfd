package gov_test

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
)

// govVector is the governance vector of SPEC.md §9.9: on the example
// commons of §7.1 (key A its one steward, threshold 1), A proposes that
// the dataset vector of §9.4 is accepted. The proposal passes at once.
func govVector(t testing.TB) (*protocol.Genesis, protocol.NetworkID, *gov.Update) {
	t.Helper()
	g := &protocol.Genesis{Name: "Example commons", Stewards: []protocol.DID{vectorKey.DID()}, Threshold: 1, Created: day(1)}
	raw, err := protocol.EncodeGenesis(g)
	if err != nil {
		t.Fatal(err)
	}
	net := protocol.NetworkIDOf(raw)
	u, err := gov.NewUpdate(net, vectorKey, []protocol.ID{net.ID()}, day(6), &gov.Proposal{
		Action:  gov.ActDatasetStatus,
		Dataset: protocol.MustParseID(vectorDatasetID),
		Status:  gov.StatusAccepted,
		Reason:  "meets the commons' data policy",
		Expires: day(13),
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return g, net, u
}

// TestGovVector checks the vector against values fixed outside the code.
func TestGovVector(t *testing.T) {
	g, net, u := govVector(t)
	if net.String() != "bagaaierawsb7ipm2vsmied5257hzquitv4vowcgsuvf5adlrhtjuipkffqiq" {
		t.Fatalf("network %s is not the example of §7.1", net)
	}
	want := map[string]string{
		"payload":          govVectorPayload,
		"id":               govVectorID,
		"sig":              govVectorSig,
		"genesis state":    govVectorGenesisState,
		"genesis hash":     govVectorGenesisHash,
		"state after":      govVectorState,
		"state after hash": govVectorHash,
	}
	before := gov.Fold(g, net, nil)
	after := gov.Fold(g, net, []*gov.Update{u})
	got := map[string]string{
		"payload":          string(u.Envelope.Payload),
		"id":               u.ID.String(),
		"sig":              base64.StdEncoding.EncodeToString(u.Envelope.Signatures[0].Sig),
		"genesis state":    string(before.Canonical()),
		"genesis hash":     before.Hash(),
		"state after":      string(after.Canonical()),
		"state after hash": after.Hash(),
	}
	for k := range want {
		if got[k] != want[k] {
			t.Errorf("%s:\ngot  %s\nwant %s", k, got[k], want[k])
		}
	}
	if st, _, ok := after.Dataset(protocol.MustParseID(vectorDatasetID)); !ok || st != gov.StatusAccepted {
		t.Errorf("dataset status %q", st)
	}
}

// TestSpecGovVector checks that SPEC.md §9.9 quotes the vector the code makes.
func TestSpecGovVector(t *testing.T) {
	spec, err := os.ReadFile(filepath.Join("..", "..", "SPEC.md"))
	if err != nil {
		t.Skipf("no SPEC.md beside the module: %v", err)
	}
	g, net, u := govVector(t)
	after := gov.Fold(g, net, []*gov.Update{u})
	for _, want := range []string{string(u.Envelope.Payload), string(u.Encode()), u.ID.String(), string(after.Canonical()), after.Hash(),
		string(gov.Fold(g, net, nil).Canonical()), gov.Fold(g, net, nil).Hash()} {
		if !bytes.Contains(spec, []byte(want)) {
			t.Errorf("SPEC.md lacks the governance vector text %.80s…", want)
		}
	}
}

const (
	govVectorPayload      = `{"network":"bagaaierawsb7ipm2vsmied5257hzquitv4vowcgsuvf5adlrhtjuipkffqiq","author":"did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd","parents":["bagaaierawsb7ipm2vsmied5257hzquitv4vowcgsuvf5adlrhtjuipkffqiq"],"time":"2026-01-06T00:00:00Z","propose":{"action":"dataset-status","dataset":"bagaaiera2wpqpzpfxcs3fgroullrnikdqfogwyxcp5euun44e7njsffdc5hq","status":"accepted","reason":"meets the commons' data policy","expires":"2026-01-13T00:00:00Z"}}`
	govVectorID           = `bagaaieraxsnuthvo4rhuk7avsm6wiekybjkkb5nhdywleqkwbbhmgl3ofyrq`
	govVectorSig          = `XqPWBAUc+ub/qEZoYUKRlyklJhEWuglv1A4aLkukfWu0D9sClUa/5tNl87G+KcQBTqdCm4s308M/V3da63hCDQ==`
	govVectorGenesisState = `{"datasets":{},"network":"bagaaierawsb7ipm2vsmied5257hzquitv4vowcgsuvf5adlrhtjuipkffqiq","params":{},"proposals":[],"revoked":[],"stewards":["did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd"],"threshold":1,"time":"2026-01-01T00:00:00Z","updates":0}`
	govVectorGenesisHash  = `sha256:31dcf60b9d97f605a2e3283e8c9a48867c57864d3691cae5fa38ab62ab9600f7`
	govVectorState        = `{"datasets":{"bagaaiera2wpqpzpfxcs3fgroullrnikdqfogwyxcp5euun44e7njsffdc5hq":{"proposal":"bagaaieraxsnuthvo4rhuk7avsm6wiekybjkkb5nhdywleqkwbbhmgl3ofyrq","reason":"meets the commons' data policy","status":"accepted"}},"network":"bagaaierawsb7ipm2vsmied5257hzquitv4vowcgsuvf5adlrhtjuipkffqiq","params":{},"proposals":[{"action":"dataset-status","closed_by":"bagaaieraxsnuthvo4rhuk7avsm6wiekybjkkb5nhdywleqkwbbhmgl3ofyrq","dataset":"bagaaiera2wpqpzpfxcs3fgroullrnikdqfogwyxcp5euun44e7njsffdc5hq","dataset_status":"accepted","expires":"2026-01-13T00:00:00Z","id":"bagaaieraxsnuthvo4rhuk7avsm6wiekybjkkb5nhdywleqkwbbhmgl3ofyrq","no":[],"proposer":"did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd","reason":"meets the commons' data policy","status":"passed","time":"2026-01-06T00:00:00Z","yes":["did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd"]}],"revoked":[],"stewards":["did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd"],"threshold":1,"time":"2026-01-06T00:00:00Z","updates":1}`
	govVectorHash         = `sha256:5974d46176b762f1fa8224012d23276da4c749a16f788cce97f87b438a62ba93`
)
