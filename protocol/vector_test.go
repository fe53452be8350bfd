package protocol_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/protocol"
	"github.com/mr-tron/base58"
)

var update = flag.Bool("update", false, "rewrite testdata/vector-* from the code (then check SPEC.md §9 by hand)")

// vectorText is the .txt companion of a vector: every value a second
// implementation needs to check its own result, one "key: value" a line.
func vectorText(v vector) string {
	var b strings.Builder
	env := v.env
	fmt.Fprintf(&b, "kind: %s\n", v.kind())
	fmt.Fprintf(&b, "payloadType: %s\n", env.PayloadType)
	fmt.Fprintf(&b, "payload.length: %d\n", len(env.Payload))
	fmt.Fprintf(&b, "payload.sha256: %s\n", protocol.SumDigest(env.Payload).Hex())
	fmt.Fprintf(&b, "pae.sha256: %s\n", protocol.SumDigest(protocol.PAE(env.PayloadType, env.Payload)).Hex())
	fmt.Fprintf(&b, "id: %s\n", env.ID())
	for _, s := range env.Signatures {
		seed := seedHex
		if s.KeyID == otherKey.DID() {
			seed = otherSeedHex
		}
		fmt.Fprintf(&b, "signer.seed: %s\n", seed)
		fmt.Fprintf(&b, "signer.did: %s\n", s.KeyID)
		fmt.Fprintf(&b, "signer.sig: %s\n", base64.StdEncoding.EncodeToString(s.Sig))
	}
	return b.String()
}

func TestVectors(t *testing.T) {
	for _, v := range vectors() {
		t.Run(v.name, func(t *testing.T) {
			files := map[string][]byte{
				"vector-" + v.name + "-payload.json":  v.env.Payload,
				"vector-" + v.name + "-envelope.json": v.env.Encode(),
				"vector-" + v.name + ".txt":           []byte(vectorText(v)),
			}
			for name, got := range files {
				path := filepath.Join("testdata", name)
				if *update {
					if err := os.WriteFile(path, got, 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test -run TestVectors -update ./protocol/ to write it)", err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s differs from what the code makes:\ngot  %s\nwant %s", path, got, want)
				}
			}
			// The stored envelope is what a peer would send: it passes the door.
			b, _ := os.ReadFile(filepath.Join("testdata", "vector-"+v.name+"-envelope.json"))
			o, err := protocol.VerifyObject(b)
			if err != nil {
				t.Fatal(err)
			}
			if o.ID != v.env.ID() || o.Kind.String() != v.kind() {
				t.Errorf("VerifyObject = %s %s, want %s %s", o.Kind, o.ID, v.name, v.env.ID())
			}
			if !bytes.Equal(o.Envelope.Encode(), b) {
				t.Errorf("re-encoding the verified envelope changed it")
			}
		})
	}
}

// TestVectorDataset checks the dataset vector against values fixed outside
// the code, so that a change to the encoders cannot rewrite the vector and
// its expectation together.
func TestVectorDataset(t *testing.T) {
	if got := vectorKey.DID().String(); got != vectorDID {
		t.Errorf("did = %s, want %s", got, vectorDID)
	}
	if got := protocol.ArtifactID(helloFile.Digest).String(); got != vectorArtifactID {
		t.Errorf("artifact id = %s, want %s", got, vectorArtifactID)
	}
	if got := helloFile.Digest.String(); got != "sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03" {
		t.Errorf("digest of hello.txt = %s", got)
	}
	env := vectorByName("dataset")
	wantPayload := `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"hello.txt","digest":{"sha256":"5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"},"annotations":{"size":6}}],"predicateType":"https://commons.network/dataset/v1","predicate":{"name":"Test vector","license":"CC-BY-4.0","publisher":"did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd","created":"2026-01-01T00:00:00Z"}}`
	if string(env.Payload) != wantPayload {
		t.Errorf("payload:\ngot  %s\nwant %s", env.Payload, wantPayload)
	}
	if got := env.ID().String(); got != vectorDatasetID {
		t.Errorf("id = %s, want %s", got, vectorDatasetID)
	}
	const wantSig = "ABJ7AsWMNyv1JsNWjg+u4+38wMUJdYfitFcdFRCDc4aCQqygJjmFJ72iKuJdZ+xTTjBDxoL9IAJ80y2acsQzDQ=="
	if got := base64.StdEncoding.EncodeToString(env.Signatures[0].Sig); got != wantSig {
		t.Errorf("sig = %s, want %s", got, wantSig)
	}
}

// TestSpecVectors checks that SPEC.md §9 quotes the vectors the code makes.
func TestSpecVectors(t *testing.T) {
	spec, err := os.ReadFile(filepath.Join("..", "SPEC.md"))
	if err != nil {
		t.Skipf("no SPEC.md beside the module: %v", err)
	}
	for _, v := range vectors() {
		for _, want := range []string{string(v.env.Payload), string(v.env.Encode()), v.env.ID().String()} {
			if !bytes.Contains(spec, []byte(want)) {
				t.Errorf("SPEC.md lacks the %s vector text %.80s…", v.name, want)
			}
		}
	}
}

// TestVectorPeerID checks the rule of SPEC.md §1.2 by hand, without libp2p:
// the peer ID of an Ed25519 key is the identity multihash of its protobuf
// PublicKey, in base58btc. The expected value came from go-libp2p's
// peer.IDFromPublicKey.
func TestVectorPeerID(t *testing.T) {
	pub := vectorKey.DID().PublicKey()
	if got := hex.EncodeToString(pub); got != "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8" {
		t.Errorf("public key = %s", got)
	}
	raw := append([]byte{0x00, 0x24, 0x08, 0x01, 0x12, 0x20}, pub...)
	if got := base58.Encode(raw); got != "12D3KooWA4Xop1JaT3MHxwYMkCepYsv4iPVopMXwCz5iHYdBfeSB" {
		t.Errorf("peer ID = %s", got)
	}
}
