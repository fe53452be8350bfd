package gov_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
)

// TestGovEnumsReadBack: each governance enum reads back every name it
// writes, and refuses any other with an error of kind Invalid that names
// the value.
func TestGovEnumsReadBack(t *testing.T) {
	type enums struct {
		Action   gov.Action         `json:"action"`
		Status   gov.ProposalStatus `json:"status"`
		Standing gov.DatasetStatus  `json:"standing"`
	}
	for _, a := range []gov.Action{gov.ActAddSteward, gov.ActRemoveSteward, gov.ActSetThreshold, gov.ActRevokeKey, gov.ActDatasetStatus, gov.ActSetParam} {
		for _, s := range []gov.ProposalStatus{gov.ProposalOpen, gov.ProposalPassed, gov.ProposalRejected, gov.ProposalExpired, gov.ProposalVoid} {
			for _, d := range []gov.DatasetStatus{gov.StatusAccepted, gov.StatusFlagged, gov.StatusDelisted} {
				want := enums{a, s, d}
				b, err := json.Marshal(want)
				if err != nil {
					t.Fatal(err)
				}
				var got enums
				if err := json.Unmarshal(b, &got); err != nil || got != want {
					t.Errorf("%s read back as %+v, %v", b, got, err)
				}
			}
		}
	}
	for _, tt := range []struct {
		json, want string
	}{
		{`{"action":"make-coffee"}`, `unknown action "make-coffee"`},
		{`{"action":""}`, `unknown action ""`},
		{`{"status":"pending"}`, `unknown proposal status "pending"`},
		{`{"standing":"Delisted"}`, `unknown dataset status "Delisted"`},
	} {
		var got enums
		err := json.Unmarshal([]byte(tt.json), &got)
		if protocol.KindOf(err) != protocol.Invalid || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v (kind %v), want invalid saying %q", tt.json, err, protocol.KindOf(err), tt.want)
		}
	}
}

// TestTrustReadsBack: every trust level reads back the name it writes;
// another name is refused.
func TestTrustReadsBack(t *testing.T) {
	for tr := protocol.Asserted; tr <= protocol.Revoked; tr++ {
		b, err := json.Marshal(tr)
		if err != nil {
			t.Fatal(err)
		}
		var got protocol.Trust
		if err := json.Unmarshal(b, &got); err != nil || got != tr {
			t.Errorf("%s read back as %v, %v", b, got, err)
		}
	}
	var got protocol.Trust
	if err := json.Unmarshal([]byte(`"legendary"`), &got); protocol.KindOf(err) != protocol.Invalid || !strings.Contains(err.Error(), `unknown trust level "legendary"`) {
		t.Errorf("an unknown level: got %v", err)
	}
}
