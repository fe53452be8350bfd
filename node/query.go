package node

import (
	"context"
	"slices"

	"github.com/commons-p2p/commons/node/answer"
	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/repo"
	"github.com/commons-p2p/commons/node/swarm"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
)

// ID describes the node.
func (n *Node) ID(context.Context) api.IDInfo {
	return api.IDInfo{DID: n.repo.NodeKey.DID(), PeerID: n.repo.PeerID.String(), Network: n.repo.Network.String(), Addrs: n.net.Addrs(), Repo: n.repo.Dir, Version: Version}
}

// Keys lists the keystore.
func (n *Node) Keys(context.Context) ([]api.KeyInfo, error) {
	entries, err := n.repo.Keys.List()
	if err != nil {
		return nil, err
	}
	retired, err := n.repo.Keys.Retired()
	if err != nil {
		return nil, err
	}
	out := make([]api.KeyInfo, 0, len(entries)+len(retired))
	for _, e := range entries {
		out = append(out, api.KeyInfo{Name: e.Name, DID: e.Key.DID()})
	}
	for _, r := range retired {
		out = append(out, api.KeyInfo{Name: r.Name, DID: r.Key.DID(), Retired: true})
	}
	return out, nil
}

// NewKey creates a named key.
func (n *Node) NewKey(_ context.Context, name string) (api.KeyInfo, error) {
	if name == repo.NodeKeyName {
		return api.KeyInfo{}, protocol.E("new key", protocol.Exists, "%q names the node key", name)
	}
	k, err := n.repo.Keys.New(name)
	if err != nil {
		return api.KeyInfo{}, err
	}
	return api.KeyInfo{Name: name, DID: k.DID()}, nil
}

// Attribution answers who contributed to id, at what trust, and its
// lineage. Unless q.Local it first gathers from the network the subject,
// the claims about it that any holder has, and its ancestors (SPEC.md §7.5):
// the answer is always made from the local index.
func (n *Node) Attribution(ctx context.Context, id protocol.ID, q api.QueryOptions) (*api.Attribution, error) {
	s, cancel := n.newSearch(ctx, q)
	defer cancel()
	a, err := n.gatherAttribution(s, "attribution", id)
	if err != nil {
		return nil, err
	}
	derived, err := answer.Derived(n.store, id, 1)
	if err != nil {
		return nil, err
	}
	out := apiAttribution(a, n.standings())
	out.Derived = derived.Derived
	if knownNothing(out) {
		// Nothing at all is known of id: say so, as the other reads do.
		return nil, s.NotFound("attribution", id)
	}
	return out, nil
}

// gatherAttribution gathers from the network, unless s is nil, the
// subject, the claims about it that any holder has and its ancestors, then
// the rotations that could make a signature of those claims count (SPEC
// §7.5), and returns the store's attribution of id once all is stored.
// query labels the search's time.
func (n *Node) gatherAttribution(s *swarm.Search, query string, id protocol.ID) (*store.Attribution, error) {
	if s != nil {
		done := n.metrics.TimeQuery(query)
		s.Attribution(id)
		done()
	}
	a, err := n.store.Attribution(id, n.policy())
	if err != nil {
		return nil, err
	}
	if keys := swarm.ExtraSigners(a); s != nil && len(keys) > 0 {
		// Signatures that only a rotation this node lacks could make
		// count: ask for the rotations, then judge again (SPEC §7.5).
		s.Rotations(keys)
		if a, err = n.store.Attribution(id, n.policy()); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// knownNothing reports whether an attribution answer says nothing at all
// of its subject: not stored, no publisher, no claims, no endorsements, no
// lineage and nothing made from it.
func knownNothing(a *api.Attribution) bool {
	stored := a.Kind != protocol.KindUnknown.String() && a.Kind != "artifact"
	return !stored && a.Publisher.IsZero() && len(a.Contributors) == 0 && len(a.Endorsements) == 0 && len(a.Lineage) == 0 && len(a.Derived) == 0
}

// standings returns the status governance gives a dataset (nil when none),
// as of now: one state for a whole answer. The statuses are copied out of
// the state only when a dataset has one.
func (n *Node) standings() func(protocol.ID) *api.Standing {
	return answer.Standings(n.govState())
}

// Locate finds the datasets that hold a file with digest d: those stored
// here and, unless q.Local, those that peers announcing the file hold.
func (n *Node) Locate(ctx context.Context, d protocol.Digest, q api.QueryOptions) (api.LocateResult, error) {
	var inPart []store.Location // found in manifests held in part, which the store does not index
	if s, cancel := n.newSearch(ctx, q); s != nil {
		defer cancel()
		done := n.metrics.TimeQuery("locate")
		s.DatasetsWithFile(d)
		inPart = s.Located()
		done()
	}
	locs, err := n.store.Locate(d)
	if err != nil {
		return api.LocateResult{}, err
	}
	for _, l := range inPart {
		if !slices.ContainsFunc(locs, func(h store.Location) bool { return h.Dataset == l.Dataset }) {
			locs = append(locs, l)
		}
	}
	out := api.LocateResult{SHA256: d.Hex(), Datasets: []api.LocatedEntry{}}
	for _, l := range locs {
		for _, p := range l.Paths {
			out.Datasets = append(out.Datasets, api.LocatedEntry{ID: l.Dataset, Name: l.Name, Path: p})
		}
	}
	return out, nil
}

// Dataset shows one dataset record with the first page of its files,
// fetched from the network when it is not stored here (unless q.Local).
func (n *Node) Dataset(ctx context.Context, id protocol.ID, q api.QueryOptions) (api.DatasetView, error) {
	return n.DatasetPage(ctx, id, api.FilesPage{}, q)
}

// DatasetPage shows one dataset record and one page of its files, in key
// order (SPEC.md §3.8). The record, and the chunks of its manifest on the
// way to the page, are fetched from the network when they are not stored
// here (unless q.Local).
func (n *Node) DatasetPage(ctx context.Context, id protocol.ID, page api.FilesPage, q api.QueryOptions) (api.DatasetView, error) {
	const op = "show dataset"
	o, err := n.datasetObject(ctx, op, id, q)
	if err != nil {
		return api.DatasetView{}, err
	}
	children, err := n.store.Children(id)
	if err != nil {
		return api.DatasetView{}, err
	}
	d := o.Dataset
	v := api.DatasetView{
		ID: id, Name: d.Name, Description: d.Description, License: d.License, Version: d.Version,
		Publisher: d.Publisher, Created: d.Created, Parents: nonNil(d.Parents), Children: nonNil(children),
		Signers: o.Envelope.Signers(), Manifest: d.Manifest, Standing: n.standings()(id),
	}
	derived, err := answer.Derived(n.store, id, 1)
	if err != nil {
		return api.DatasetView{}, err
	}
	v.Derived = derived.Derived
	v.FileCount, v.Bytes = fileTotals(o)
	if v.Files, v.Next, err = n.filesOf(ctx, o, page, q); err != nil {
		return api.DatasetView{}, err
	}
	return v, nil
}

// fileTotals is the number of files of dataset o and their total size, as
// its record says.
func fileTotals(o *protocol.Object) (count, bytes int64) {
	if m := o.Dataset.Manifest; m != nil {
		return m.Count, m.Bytes
	}
	bytes, _ = protocol.TotalSize(o.Files) // saturates for a record stored before the limit
	return int64(len(o.Files)), bytes
}

// Datasets lists the datasets stored here.
func (n *Node) Datasets(context.Context) ([]api.DatasetSummary, error) {
	objs, err := n.store.Datasets()
	if err != nil {
		return nil, err
	}
	out := make([]api.DatasetSummary, len(objs))
	for i, o := range objs {
		s := api.DatasetSummary{ID: o.ID, Name: o.Dataset.Name, License: o.Dataset.License, Publisher: o.Dataset.Publisher, Created: o.Dataset.Created}
		count, bytes := fileTotals(o)
		s.Files, s.Bytes = int(count), bytes
		out[i] = s
	}
	return out, nil
}

// GetObject returns the stored envelope of id, signatures merged; fetched
// from the network when it is not stored here (unless q.Local). A
// governance update is an envelope too, kept apart from the objects: its
// ID gives its envelope as stored.
func (n *Node) GetObject(ctx context.Context, id protocol.ID, q api.QueryOptions) ([]byte, error) {
	if raw, err := n.store.GovUpdate(id); err == nil {
		return raw, nil
	} else if !protocol.IsKind(err, protocol.NotFound) {
		return nil, err
	}
	if err := n.fetchIfMissing(ctx, "get object", id, q); err != nil {
		return nil, err
	}
	env, err := n.store.Envelope(id)
	if err != nil {
		return nil, err
	}
	return env.Encode(), nil
}

// PutObject ingests an envelope signed elsewhere.
func (n *Node) PutObject(_ context.Context, raw []byte) (api.PutResult, error) {
	res, o, err := n.Ingest(raw)
	if err != nil {
		return api.PutResult{}, err
	}
	return api.PutResult{ID: res.ID, Kind: o.Kind.String(), New: res.New, Added: res.Added, Signers: res.Signers}, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// fetchIfMissing makes sure the store holds id, asking the network unless
// q.Local. Its error, of kind NotFound, says where it looked; a store that
// cannot say whether it holds id fails the read with its own error rather
// than calling id missing.
func (n *Node) fetchIfMissing(ctx context.Context, op string, id protocol.ID, q api.QueryOptions) error {
	if ok, err := n.store.Has(id); err != nil || ok {
		return err
	}
	s, cancel := n.newSearch(ctx, q)
	defer cancel()
	if s != nil {
		done := n.metrics.TimeQuery(op)
		s.Object(id)
		done()
		if ok, _ := n.store.Has(id); ok {
			return nil
		}
	}
	return s.NotFound(op, id)
}
