package protocol

// ManifestRef (placeholder until the protocol change lands).
type ManifestRef struct {
	Root  ID    `json:"root"`
	Count int64 `json:"count"`
	Bytes int64 `json:"bytes"`
}
