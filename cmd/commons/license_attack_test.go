package main

import (
	"strings"
	"testing"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
)

func testLicenseReport(text map[string]string) *api.LicenseReport {
	id, up := protocol.ObjectID([]byte("subject")), protocol.ObjectID([]byte("upstream"))
	return &api.LicenseReport{
		Subject: id, License: text["license"], Properties: []string{"unknown"},
		Upstream:    []api.LicenseUpstream{{ID: up, Kind: "dataset", Name: text["name"], License: text["license"], Publisher: testDID(), Depth: 1, Properties: []string{"unknown"}}},
		Conflicts:   []api.LicenseConflict{{Upstream: up, Reason: text["reason"]}},
		Obligations: []api.LicenseObligation{{Kind: "unknown", License: text["license"], Upstream: []protocol.ID{up}, Text: text["standard"]}},
	}
}

// TestLicensePrintsSafely: a licence answer whose names, licences and
// reasons act on a terminal or forge rows prints them escaped, one row
// each, as a benign one.
func TestLicensePrintsSafely(t *testing.T) {
	out := render(func(tb *table) { printLicense(tb, testLicenseReport(hostile)) })
	wantSafe(t, "license", out)
	wantNoForgedRow(t, "license", out)
	plain := render(func(tb *table) { printLicense(tb, testLicenseReport(benign)) })
	if got, want := strings.Count(out, "\n"), strings.Count(plain, "\n"); got != want {
		t.Errorf("license prints %d lines, %d for benign text:\n%s", got, want, out)
	}
}

// TestNoticeReachesTheTerminalSafely: whatever the daemon sends as a
// notice, what the CLI prints holds no control but its line feeds.
func TestNoticeReachesTheTerminalSafely(t *testing.T) {
	for _, s := range hostile {
		out := terminalLines("# notice\n\n### " + s + "\n")
		wantSafe(t, "notice", out)
		if strings.Count(out, "\n") != 3+strings.Count(s, "\n") {
			t.Errorf("notice of %q: %q", s, out)
		}
	}
	if got := terminalLines("a\xffb"); got != `a\xffb`+"\n" {
		t.Errorf("an invalid byte prints as %q", got)
	}
}
