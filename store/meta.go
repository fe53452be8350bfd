package store

import (
	"encoding/binary"
	"time"

	"github.com/commons-p2p/commons/protocol"
)

// meta is the record m/<id> keeps of every object: what queries need to
// know about an object without decoding its envelope.
type meta struct {
	Kind    protocol.ObjectKind
	Issuer  protocol.DID // Object.Issuer: publisher of a dataset or derivation, issuer of a claim
	About   protocol.ID  // a claim's subject; the artifact a derivation made; a dataset's manifest root, zero for a dataset without
	Created time.Time
	Name    string // a dataset's name; the path of a derivation's artifact; empty otherwise
}

// metaVersion is the first byte of every meta record.
const metaVersion = 1

// lastKind is the highest object kind this schema knows.
const lastKind = protocol.KindRotation

func metaOf(o *protocol.Object) meta {
	m := meta{Kind: o.Kind, Issuer: o.Issuer(), About: o.About, Created: o.Created()}
	switch o.Kind {
	case protocol.KindDataset:
		m.Name = o.Dataset.Name
		if o.Dataset.Manifest != nil {
			m.About = o.Dataset.Manifest.Root
		}
	case protocol.KindDerivation:
		m.About = protocol.ArtifactID(o.Files[0].Digest)
		m.Name = o.Files[0].Name
	}
	return m
}

// isClaim reports whether objects of kind k have a subject and a summary
// under s/.
func isClaim(k protocol.ObjectKind) bool {
	return k == protocol.KindAttribution || k == protocol.KindEndorsement || k == protocol.KindRevocation
}

// revocable reports whether an object of kind k can be withdrawn by a
// revocation from its issuer.
func revocable(k protocol.ObjectKind) bool {
	return k == protocol.KindAttribution || k == protocol.KindEndorsement || k == protocol.KindDerivation
}

// encodeMeta writes a meta record:
//
//	u8      version (1)
//	u8      kind
//	time    created
//	did     issuer
//	string  about: the binary CID, empty when none
//	string  name
func encodeMeta(m meta) []byte {
	b := make([]byte, 0, 2+12+didSize+40+len(m.Name)+2)
	b = append(b, metaVersion, byte(m.Kind))
	b = appendTime(b, m.Created)
	b = appendDID(b, m.Issuer)
	var about []byte
	if !m.About.IsZero() {
		about = m.About.Bytes()
	}
	b = binary.AppendUvarint(b, uint64(len(about)))
	b = append(b, about...)
	return appendString(b, m.Name)
}

// decodeMeta reads a meta record. Any error is of kind Invalid.
func decodeMeta(b []byte) (meta, error) {
	d := decoder{what: "meta record", b: b}
	if v := d.u8(); d.err == nil && v != metaVersion {
		d.fail("version %d, want %d", v, metaVersion)
	}
	var m meta
	m.Kind = protocol.ObjectKind(d.u8())
	if d.err == nil && (m.Kind == protocol.KindUnknown || m.Kind > lastKind) {
		d.fail("unknown object kind %d", m.Kind)
	}
	m.Created = d.time()
	m.Issuer = d.did()
	if about := d.take(d.count(1)); len(about) > 0 {
		id, err := protocol.IDFromBytes(about)
		if err != nil && d.err == nil {
			d.fail("about: %v", err)
		}
		m.About = id
	}
	m.Name = d.string()
	if err := d.finish(); err != nil {
		return meta{}, err
	}
	return m, nil
}

// encodeCount and decodeCount are the values of x/count/<kind>.
func encodeCount(n int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(n)) }

func decodeCount(b []byte) (int64, error) {
	if len(b) != 8 {
		return 0, protocol.E("decode count", protocol.Invalid, "%d bytes, want 8", len(b))
	}
	return int64(binary.BigEndian.Uint64(b)), nil
}
