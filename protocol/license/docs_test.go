package license

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

const (
	docPath   = "../../docs/LICENSES.md"
	docBegin  = "<!-- begin table: COMMONS_UPDATE_LICENSES=1 go test ./protocol/license/ writes it -->\n"
	docEnd    = "<!-- end table -->\n"
	updateEnv = "COMMONS_UPDATE_LICENSES"
)

// The table in docs/LICENSES.md is the table of the code, entry for entry.
func TestLicensesDocIsTheTable(t *testing.T) {
	raw, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	i, j := strings.Index(doc, docBegin), strings.Index(doc, docEnd)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the markers of its table", docPath)
	}
	want := docTable()
	got := doc[i+len(docBegin) : j]
	if got == want {
		return
	}
	if os.Getenv(updateEnv) == "1" {
		doc = doc[:i+len(docBegin)] + want + doc[j:]
		if err := os.WriteFile(docPath, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s's table is not the code's: run %s=1 go test ./protocol/license/", docPath, updateEnv)
}

func docTable() string {
	var b strings.Builder
	b.WriteString("| licence | properties | a derived work may take | source |\n|---|---|---|---|\n")
	for _, i := range Table() {
		var props []string
		for _, p := range i.Properties {
			props = append(props, string(p))
		}
		sa := "any licence"
		switch {
		case i.Has(ShareAlike):
			sa = strings.Join(i.ShareAlike, ", ")
		case i.Has(NoDerivatives):
			sa = "none: no adapted work may be shared"
		case i.Has(NonCommercial):
			sa = "a non-commercial licence"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | <%s> |\n", i.ID, strings.Join(props, ", "), sa, i.Source)
	}
	return b.String()
}
