package node

import (
	"context"
	"slices"
	"strconv"
	"strings"

	dto "github.com/prometheus/client_model/go"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
)

// The reads of the explorer's pages (SPEC.md §6.6) that no CLI command
// makes: what a key did, a search of every kind, and the node's state.

// DIDActivity answers what key d contributed, one page of the claims
// naming it after after, and the first page of what it signed. It reads
// the local index alone.
func (n *Node) DIDActivity(_ context.Context, d protocol.DID, after protocol.ID, limit int) (*api.DIDView, error) {
	if limit <= 0 {
		limit = api.DefaultDIDLimit
	}
	ids, more, err := n.store.ContributorPage(d, after, limit)
	if err != nil {
		return nil, err
	}
	out := &api.DIDView{DID: d, Claims: []api.DIDClaim{}, Signed: []api.SignedItem{}}
	if more && len(ids) > 0 {
		out.Next = ids[len(ids)-1]
	}
	var subjects []protocol.ID
	for _, id := range ids {
		o, err := n.store.Object(id)
		if err != nil {
			return nil, err
		}
		a := o.Attribution
		c := api.DIDClaim{Claim: id, Subject: o.About, Role: a.Role, Weight: a.Weight, Issuer: a.Issuer, Created: a.Created, Trust: protocol.Asserted}
		c.SubjectKind, c.SubjectName = n.describe(o.About)
		if c.Withdrawn, err = n.withdrawn(id, a.Issuer); err != nil {
			return nil, err
		}
		out.Claims = append(out.Claims, c)
		subjects = append(subjects, o.About)
	}
	judged, err := n.store.Contributors(n.policy(), subjects...)
	if err != nil {
		return nil, err
	}
	for i := range out.Claims {
		for _, c := range judged[i] {
			if c.Claim == out.Claims[i].Claim {
				out.Claims[i].Trust = c.Trust
			}
		}
		out.Claims[i].Revoked = out.Claims[i].Trust == protocol.Revoked
	}
	signed, more, err := n.store.SignerPage(d, protocol.ID{}, limit)
	if err != nil {
		return nil, err
	}
	out.SignedMore = more
	for _, id := range signed {
		kind, name := n.describe(id)
		out.Signed = append(out.Signed, api.SignedItem{ID: id, Kind: kind, Name: name})
	}
	return out, nil
}

// describe names what id is and what it is called, from the local store.
func (n *Node) describe(id protocol.ID) (kind, name string) {
	if !id.IsObject() {
		if makers, err := n.store.Makers(id.Digest()); err == nil {
			for _, m := range makers {
				if o, err := n.store.Object(m); err == nil && len(o.Files) > 0 {
					return "artifact", o.Files[0].Name
				}
			}
		}
		return "artifact", ""
	}
	o, err := n.store.Object(id)
	if err != nil {
		return "unknown", ""
	}
	switch o.Kind {
	case protocol.KindDataset:
		return o.Kind.String(), o.Dataset.Name
	case protocol.KindDerivation:
		if len(o.Files) > 0 {
			return o.Kind.String(), o.Files[0].Name
		}
	}
	return o.Kind.String(), ""
}

// withdrawn reports whether a revocation of claim by its issuer is held.
func (n *Node) withdrawn(claim protocol.ID, issuer protocol.DID) (bool, error) {
	about, err := n.store.ClaimsAbout(claim)
	if err != nil {
		return false, err
	}
	for _, id := range about {
		o, err := n.store.Object(id)
		if err != nil {
			return false, err
		}
		if o.Kind == protocol.KindRevocation && o.Revocation.Issuer == issuer {
			return true, nil
		}
	}
	return false, nil
}

// Search reads q as a did:key, a file's sha256, an ID or a piece of a
// dataset's name, in that order, and answers one page of what matches,
// after the offset after; an empty q lists the datasets held, newest
// first. A digest or an ID not held is looked for on the network unless
// opts.Local.
func (n *Node) Search(ctx context.Context, q string, after, limit int, opts api.QueryOptions) (*api.SearchResult, error) {
	if limit <= 0 {
		limit = api.DefaultSearchLimit
	}
	q = strings.TrimSpace(q)
	out := &api.SearchResult{Query: q, Results: []api.SearchItem{}}
	var all []api.SearchItem
	switch {
	case strings.HasPrefix(q, "did:"):
		d, err := protocol.ParseDID(q)
		if err != nil {
			return nil, err
		}
		out.Kind = api.SearchDID
		all = []api.SearchItem{{ID: d.String(), Kind: "did"}}
	case isDigest(q):
		d, _ := protocol.ParseDigest(strings.ToLower(q))
		out.Kind = api.SearchSHA256
		loc, err := n.Locate(ctx, d, opts)
		if err != nil {
			return nil, err
		}
		for _, e := range loc.Datasets {
			all = append(all, api.SearchItem{ID: e.ID.String(), Kind: "dataset", Name: e.Name, Path: e.Path})
		}
	case looksLikeID(q):
		id, err := protocol.ParseID(q)
		if err != nil {
			return nil, err
		}
		out.Kind = api.SearchID
		if id.IsObject() {
			if err := n.fetchIfMissing(ctx, "search", id, opts); err != nil && !protocol.IsKind(err, protocol.NotFound) {
				return nil, err
			}
		}
		kind, name := n.describe(id)
		if kind != "unknown" {
			all = []api.SearchItem{{ID: id.String(), Kind: kind, Name: name}}
		}
	default:
		out.Kind = api.SearchRecent
		if q != "" {
			out.Kind = api.SearchName
		}
		ds, err := n.Datasets(ctx)
		if err != nil {
			return nil, err
		}
		needle := strings.ToLower(q)
		for _, d := range slices.Backward(ds) {
			if needle == "" || strings.Contains(strings.ToLower(d.Name), needle) {
				all = append(all, api.SearchItem{ID: d.ID.String(), Kind: "dataset", Name: d.Name, Publisher: d.Publisher, Created: d.Created, Files: int64(d.Files)})
			}
		}
	}
	if after < len(all) {
		all = all[after:]
	} else {
		all = nil
	}
	if len(all) > limit {
		all, out.Next = all[:limit], strconv.Itoa(after+limit)
	}
	out.Results = append(out.Results, all...)
	return out, nil
}

// isDigest reports whether q is a sha256 as a person writes one: 64 hex
// digits, with or without "sha256:".
func isDigest(q string) bool {
	h := strings.TrimPrefix(strings.ToLower(q), "sha256:")
	if len(h) != 64 {
		return false
	}
	for _, c := range h {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}

// looksLikeID reports whether q is one word that parses as an ID, or is
// long enough without a space to be meant as one: such a q that does not
// parse is refused with the parser's reason rather than searched as a name.
func looksLikeID(q string) bool {
	if strings.ContainsAny(q, " \t") {
		return false
	}
	if _, err := protocol.ParseID(q); err == nil {
		return true
	}
	return len(q) >= 40 && (strings.HasPrefix(q, "bafk") || strings.HasPrefix(q, "bagaa"))
}

// healthPrefixes are the metrics the node page shows: announce, gossip,
// DHT, peers, storage and fetching.
var healthPrefixes = []string{"commons_peers", "commons_announce_", "commons_gossip_", "commons_dht_routing", "commons_dht_provider_records", "commons_storage_", "commons_objects_fetched"}

// Status answers what the explorer's node page shows: the network, the
// node's key, its peers, the objects it holds, and the announce and
// gossip figures of /metrics.
func (n *Node) Status(ctx context.Context) (*api.NodeStatus, error) {
	info := n.ID(ctx)
	out := &api.NodeStatus{Network: info.Network, DID: info.DID, PeerID: info.PeerID, Version: info.Version,
		Objects: api.ObjectCounts{ByKind: map[string]int64{}}, Health: []api.Metric{}}
	if n.net != nil {
		out.Peers = len(n.net.Peers())
	}
	st, err := n.store.Stats()
	if err != nil {
		return nil, err
	}
	out.Objects.Total, out.Objects.Chunks = st.Objects, st.Chunks
	for k, v := range st.ByKind {
		out.Objects.ByKind[k.String()] = v
	}
	families, err := n.metrics.Registry().Gather()
	if err != nil {
		return nil, protocol.E("node status", protocol.Other, "gather metrics: %w", err)
	}
	for _, f := range families {
		if !slices.ContainsFunc(healthPrefixes, func(p string) bool { return strings.HasPrefix(f.GetName(), p) }) {
			continue
		}
		for _, m := range f.GetMetric() {
			v, ok := sampleValue(f.GetType(), m)
			if !ok {
				continue
			}
			s := api.Metric{Name: f.GetName(), Value: v, Help: f.GetHelp()}
			for _, l := range m.GetLabel() {
				if s.Labels == nil {
					s.Labels = map[string]string{}
				}
				s.Labels[l.GetName()] = l.GetValue()
			}
			out.Health = append(out.Health, s)
		}
	}
	return out, nil
}

// sampleValue is the value of a counter or gauge sample; histograms are
// left to /metrics.
func sampleValue(t dto.MetricType, m *dto.Metric) (float64, bool) {
	switch t {
	case dto.MetricType_COUNTER:
		return m.GetCounter().GetValue(), true
	case dto.MetricType_GAUGE:
		return m.GetGauge().GetValue(), true
	case dto.MetricType_UNTYPED:
		return m.GetUntyped().GetValue(), true
	}
	return 0, false
}
