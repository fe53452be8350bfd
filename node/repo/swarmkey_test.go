package repo

import (
	"bytes"
	"crypto/rand"
	"regexp"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/protocol"
)

func mustSwarmKey(t testing.TB) []byte {
	t.Helper()
	b, err := NewSwarmKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSwarmKeyFormat(t *testing.T) {
	b := mustSwarmKey(t)
	if !regexp.MustCompile(`\A/key/swarm/psk/1\.0\.0/\n/base16/\n[0-9a-f]{64}\n\z`).Match(b) {
		t.Fatalf("swarm key file %q is not in the v1 base16 format", b)
	}
	psk, err := ParseSwarmKey(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(psk) != 32 {
		t.Fatalf("key of %d bytes", len(psk))
	}
	// Written by other tools: CRLF line ends, no final newline, base64.
	crlf := bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n"))
	for _, v := range [][]byte{crlf, bytes.TrimSuffix(b, []byte("\n"))} {
		got, err := ParseSwarmKey(v)
		if err != nil || !bytes.Equal(got, psk) {
			t.Errorf("ParseSwarmKey(%q) = %x, %v; want %x", v, got, err, psk)
		}
	}
	b64 := []byte("/key/swarm/psk/1.0.0/\n/base64/\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n")
	if got, err := ParseSwarmKey(b64); err != nil || got[31] != 31 {
		t.Errorf("base64 key: %x, %v", got, err)
	}
	// The same randomness gives the same key; different, different.
	if other := mustSwarmKey(t); bytes.Equal(other, b) {
		t.Error("two new swarm keys are equal")
	}
}

func TestParseSwarmKeyErrors(t *testing.T) {
	hex := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		name, in, want string
	}{
		{"empty", "", "is not a swarm key header"},
		{"other header", "/key/swarm/psk/2.0.0/\n/base16/\n" + hex + "\n", "is not a swarm key header"},
		{"bare hex", hex + "\n", "is not a swarm key header"},
		{"unknown encoding", "/key/swarm/psk/1.0.0/\n/base58/\n" + hex + "\n", "unknown encoding"},
		{"short", "/key/swarm/psk/1.0.0/\n/base16/\n" + hex[:62] + "\n", "key is 62 characters, want 64"},
		{"long", "/key/swarm/psk/1.0.0/\n/base16/\n" + hex + "00\n", "key is 66 characters, want 64"},
		{"not hex", "/key/swarm/psk/1.0.0/\n/base16/\n" + strings.Repeat("zz", 32) + "\n", "invalid byte"},
		{"huge", "/key/swarm/psk/1.0.0/\n/base16/\n" + strings.Repeat(hex, 100), "too long for a swarm key file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseSwarmKey([]byte(tc.in))
			if err == nil {
				t.Fatalf("ParseSwarmKey succeeded, want %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) || !protocol.IsKind(err, protocol.Invalid) {
				t.Errorf("error %q (kind %v), want invalid and %q", err, protocol.KindOf(err), tc.want)
			}
		})
	}
}
