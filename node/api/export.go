package api

import (
	"strings"

	"github.com/commons-p2p/commons/protocol"
)

// ExportFormat names a standard format the lineage and attribution of an
// object are exported in (SPEC.md §6.5): GET /v1/export/{id}?format=F.
type ExportFormat string

// The export formats, in the order the CLI lists them.
const (
	ExportPROV      ExportFormat = "prov"      // W3C PROV-JSON
	ExportCroissant ExportFormat = "croissant" // MLCommons Croissant 1.0 JSON-LD, datasets only
	ExportDOT       ExportFormat = "dot"       // Graphviz DOT
	ExportInToto    ExportFormat = "intoto"    // in-toto bundle: one DSSE envelope a line
)

// ExportFormats lists every format.
var ExportFormats = []ExportFormat{ExportPROV, ExportCroissant, ExportDOT, ExportInToto}

var exportTypes = map[ExportFormat]string{
	ExportPROV:      "application/json",
	ExportCroissant: "application/ld+json",
	ExportDOT:       "text/vnd.graphviz; charset=utf-8",
	ExportInToto:    "application/jsonl",
}

// ParseExportFormat reads the name of a format; any other is refused
// (invalid), naming the formats there are.
func ParseExportFormat(s string) (ExportFormat, error) {
	f := ExportFormat(s)
	if _, ok := exportTypes[f]; !ok {
		names := make([]string, len(ExportFormats))
		for i, f := range ExportFormats {
			names[i] = string(f)
		}
		return "", protocol.E("export", protocol.Invalid, "format %q is not one of %s", clipText(s), strings.Join(names, ", "))
	}
	return f, nil
}

// ContentType is the media type of a document in format f.
func (f ExportFormat) ContentType() string { return exportTypes[f] }

// clipText bounds text from a request quoted back in an error.
func clipText(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
