package export

import (
	"cmp"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/manifest"
	"github.com/commons-p2p/commons/store"
)

// MaxCroissantFiles bounds the FileObjects of one Croissant document: a
// dataset of more files (a manifest of millions) lists its first files in
// key order and says how many it left out (commons:filesOmitted).
const MaxCroissantFiles = 10000

// CroissantConformsTo is the version of Croissant the documents conform to.
const CroissantConformsTo = "http://mlcommons.org/croissant/1.0"

// Croissant writes dataset id as an MLCommons Croissant 1.0 JSON-LD
// description (http://mlcommons.org/croissant/1.0): the properties the
// specification requires (@context, @type, conformsTo, name, description,
// license, url, creator, datePublished), a FileObject with its sha256 for
// each file — paged from the manifest for a dataset that names one, at
// most MaxCroissantFiles — and, for each file, the ancestors in its
// lineage that hold a file of the same digest (prov:wasDerivedFrom). The
// creators are the publisher and every contributor whose claim is at
// least acknowledged (SPEC.md §4.5) and not revoked.
func Croissant(src Source, id protocol.ID) ([]byte, error) {
	l, err := collect(src, id)
	if err != nil {
		return nil, err
	}
	o := l.objects[id]
	if o == nil || o.Kind != protocol.KindDataset {
		return nil, protocol.E("export croissant", protocol.Invalid, "croissant describes a dataset held here; %s is %s", id, article(l.kinds[id]))
	}
	ds := o.Dataset
	description := ds.Description
	if description == "" {
		description = ds.Name + ", published on commons by " + ds.Publisher.String()
	}
	doc := map[string]any{
		"@context":        croissantContext(),
		"@type":           "sc:Dataset",
		"@id":             ObjectIRI(id),
		"conformsTo":      CroissantConformsTo,
		"name":            ds.Name,
		"description":     description,
		"license":         licenseValue(ds.License),
		"url":             ObjectIRI(id),
		"creator":         l.creators(id, ds.Publisher),
		"publisher":       person(ds.Publisher),
		"datePublished":   provTime(ds.Created),
		"commons:license": ds.License,
	}
	if ds.Version != "" {
		doc["version"] = ds.Version
	}
	if len(ds.Parents) > 0 {
		parents := slices.Clone(ds.Parents)
		slices.SortFunc(parents, func(a, b protocol.ID) int { return cmp.Compare(a.String(), b.String()) })
		refs := make([]map[string]string, len(parents))
		for i, p := range parents {
			refs[i] = map[string]string{"@id": ObjectIRI(p)}
		}
		doc["isBasedOn"] = refs
	}
	if st := l.standing(id); st != nil {
		doc["commons:standing"] = string(st.Status)
	}
	files, total, err := l.files(o)
	if err != nil {
		return nil, err
	}
	dist := make([]map[string]any, len(files))
	for i, f := range files {
		if dist[i], err = l.fileObject(id, f); err != nil {
			return nil, err
		}
	}
	doc["distribution"] = dist
	if omitted := total - int64(len(files)); omitted > 0 {
		doc["commons:filesOmitted"] = omitted
	}
	return marshal(doc)
}

// croissantContext is the JSON-LD context of Croissant 1.0 (its
// Appendix 1), with the PROV and commons namespaces besides.
func croissantContext() map[string]any {
	return map[string]any{
		"@language":     "en",
		"@vocab":        "https://schema.org/",
		"sc":            "https://schema.org/",
		"cr":            "http://mlcommons.org/croissant/",
		"rai":           "http://mlcommons.org/croissant/RAI/",
		"dct":           "http://purl.org/dc/terms/",
		"prov":          "http://www.w3.org/ns/prov#",
		"commons":       commonsNS,
		"citeAs":        "cr:citeAs",
		"column":        "cr:column",
		"conformsTo":    "dct:conformsTo",
		"data":          map[string]string{"@id": "cr:data", "@type": "@json"},
		"dataType":      map[string]string{"@id": "cr:dataType", "@type": "@vocab"},
		"examples":      map[string]string{"@id": "cr:examples", "@type": "@json"},
		"extract":       "cr:extract",
		"field":         "cr:field",
		"fileProperty":  "cr:fileProperty",
		"fileObject":    "cr:fileObject",
		"fileSet":       "cr:fileSet",
		"format":        "cr:format",
		"includes":      "cr:includes",
		"isLiveDataset": "cr:isLiveDataset",
		"jsonPath":      "cr:jsonPath",
		"key":           "cr:key",
		"md5":           "cr:md5",
		"parentField":   "cr:parentField",
		"path":          "cr:path",
		"recordSet":     "cr:recordSet",
		"references":    "cr:references",
		"regex":         "cr:regex",
		"repeated":      "cr:repeated",
		"replace":       "cr:replace",
		"separator":     "cr:separator",
		"source":        "cr:source",
		"subField":      "cr:subField",
		"transform":     "cr:transform",
	}
}

// spdxID is a licence expression that is one SPDX identifier: Croissant
// recommends the URL of a known licence, which only one identifier has.
var spdxID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.\-]*$`)

func licenseValue(expr string) string {
	if spdxID.MatchString(expr) && !strings.HasPrefix(expr, "LicenseRef-") {
		return "https://spdx.org/licenses/" + expr + ".html"
	}
	return expr
}

func person(d protocol.DID) map[string]string {
	return map[string]string{"@type": "sc:Person", "@id": d.String(), "name": d.String()}
}

// creators are the publisher, then every contributor to n whose claim is
// acknowledged, mutual or certified, in DID order, each once.
func (l *lineage) creators(n protocol.ID, publisher protocol.DID) []map[string]string {
	out := []map[string]string{person(publisher)}
	seen := map[protocol.DID]bool{publisher: true}
	var dids []protocol.DID
	for _, c := range l.claims[n] {
		if c.Trust >= protocol.Acknowledged && c.Trust != protocol.Revoked && !seen[c.DID] {
			seen[c.DID] = true
			dids = append(dids, c.DID)
		}
	}
	slices.SortFunc(dids, func(a, b protocol.DID) int { return cmp.Compare(a.String(), b.String()) })
	for _, d := range dids {
		out = append(out, person(d))
	}
	return out
}

// files are the first MaxCroissantFiles files of dataset o in key order,
// and how many it has.
func (l *lineage) files(o *protocol.Object) ([]manifest.Entry, int64, error) {
	m := o.Dataset.Manifest
	if m == nil {
		all := make([]manifest.Entry, len(o.Files))
		for i, f := range o.Files {
			all[i] = manifest.Entry{Path: f.Name, Size: f.Size, Digest: f.Digest}
		}
		slices.SortStableFunc(all, func(a, b manifest.Entry) int { return cmp.Compare(a.Key(), b.Key()) })
		return all[:min(len(all), MaxCroissantFiles)], int64(len(all)), nil
	}
	root := manifest.Root{ID: manifest.ChunkIDFromDigest(m.Root.Digest()), Count: m.Count, Bytes: m.Bytes}
	fetch := l.src.Chunks
	if fetch == nil {
		fetch = func(protocol.ID, manifest.ChunkID) manifest.Fetch { return l.src.Store.Chunk }
	}
	r := manifest.NewReader(root.ID, fetch(o.ID, root.ID))
	if err := r.CheckRoot(root); err != nil {
		return nil, 0, err
	}
	page, _, err := r.Page("", MaxCroissantFiles)
	return page, m.Count, err
}

// fileObject describes one file of dataset n, with the ancestors of n that
// hold a file of the same digest.
func (l *lineage) fileObject(n protocol.ID, f manifest.Entry) (map[string]any, error) {
	u := fileURL(f.Path)
	fo := map[string]any{
		"@type":          "cr:FileObject",
		"@id":            u,
		"name":           f.Path,
		"contentUrl":     u,
		"encodingFormat": encodingFormat(f.Path),
		"sha256":         f.Digest.Hex(),
	}
	if f.Size >= 0 {
		fo["contentSize"] = strconv.FormatInt(f.Size, 10) + " B"
	}
	locs, err := l.src.Store.Locate(f.Digest)
	if err != nil {
		return nil, err
	}
	var from []map[string]string
	for _, loc := range ancestorsHolding(locs, n, l.kinds) {
		from = append(from, map[string]string{"@id": ObjectIRI(loc)})
	}
	if len(from) > 0 {
		fo["prov:wasDerivedFrom"] = from
	}
	return fo, nil
}

// ancestorsHolding are the datasets among locs, other than n, that are
// part of the lineage, in ID order.
func ancestorsHolding(locs []store.Location, n protocol.ID, lineage map[protocol.ID]string) []protocol.ID {
	var out []protocol.ID
	for _, loc := range locs {
		if _, ok := lineage[loc.Dataset]; ok && loc.Dataset != n {
			out = append(out, loc.Dataset)
		}
	}
	slices.SortFunc(out, func(a, b protocol.ID) int { return cmp.Compare(a.String(), b.String()) })
	return slices.Compact(out)
}

// fileURL is a file's path as a relative URL: each segment escaped, so a
// name with spaces, '#' or '?' stays one path.
func fileURL(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// encodingFormats are the media types of the common file extensions of
// datasets: a table, not the host's MIME database, so that every node
// writes the same document.
var encodingFormats = map[string]string{
	".csv": "text/csv", ".tsv": "text/tab-separated-values", ".txt": "text/plain", ".md": "text/markdown",
	".json": "application/json", ".jsonl": "application/jsonlines", ".ndjson": "application/jsonlines",
	".parquet": "application/x-parquet", ".arrow": "application/vnd.apache.arrow.file",
	".xml": "application/xml", ".html": "text/html", ".pdf": "application/pdf",
	".zip": "application/zip", ".gz": "application/gzip", ".tar": "application/x-tar", ".zst": "application/zstd",
	".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".tif": "image/tiff", ".tiff": "image/tiff", ".webp": "image/webp",
	".wav": "audio/wav", ".mp3": "audio/mpeg", ".flac": "audio/flac", ".mp4": "video/mp4",
}

func encodingFormat(p string) string {
	if t, ok := encodingFormats[strings.ToLower(path.Ext(p))]; ok {
		return t
	}
	return "application/octet-stream"
}

// article names a kind for an error: "a derivation", "an artifact", or
// "not held here".
func article(kind string) string {
	switch kind {
	case "", protocol.KindUnknown.String():
		return "not held here"
	case "artifact", "attribution", "endorsement":
		return "an " + kind
	}
	return "a " + kind
}
