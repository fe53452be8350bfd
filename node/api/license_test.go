package api

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
)

// TestLicenseReportReadsBack: the licence answer decodes what it encodes,
// to an equal value that encodes to the same bytes.
func TestLicenseReportReadsBack(t *testing.T) {
	did := testDID(t)
	id := protocol.ObjectID([]byte(`{"x":1}`))
	other := protocol.ObjectID([]byte(`{"x":2}`))
	for _, v := range []LicenseReport{
		{Subject: id, License: "CC-BY-4.0", Properties: []string{"permissive", "attribution"}, Compatible: false,
			Upstream: []LicenseUpstream{
				{ID: other, Kind: "dataset", Name: "corpus", License: "CC-BY-SA-4.0", Publisher: did, Depth: 1, Properties: []string{"attribution", "share-alike"}},
				{ID: id, Kind: "unknown", License: "", Depth: 2, Properties: []string{"unknown"}, Standing: &Standing{Status: gov.StatusDelisted, Reason: "r", Proposal: other}},
			},
			Conflicts:   []LicenseConflict{{Upstream: other, Reason: "CC-BY-SA-4.0 is share-alike"}},
			Obligations: []LicenseObligation{{Kind: "attribution", License: "CC-BY-SA-4.0", Upstream: []protocol.ID{other}, Text: "credit"}},
			Standing:    &Standing{Status: gov.StatusFlagged}},
		{Subject: id, License: "", Properties: []string{}, Compatible: true, Upstream: []LicenseUpstream{}, Conflicts: []LicenseConflict{}, Obligations: []LicenseObligation{}},
	} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var back LicenseReport
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&back); err != nil {
			t.Fatalf("does not read back %s: %v", b, err)
		}
		if !reflect.DeepEqual(back, v) {
			t.Errorf("read back as\n%+v\nwant\n%+v", back, v)
		}
		if again, _ := json.Marshal(back); !bytes.Equal(again, b) {
			t.Errorf("written again as\n%s\nwant\n%s", again, b)
		}
	}
}
