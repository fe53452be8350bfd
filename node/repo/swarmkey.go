package repo

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/libp2p/go-libp2p/core/pnet"

	"github.com/commons-p2p/commons/protocol"
)

// A swarm key file holds a private network's pre-shared key in the format
// of go-libp2p and Kubo:
//
//	/key/swarm/psk/1.0.0/
//	/base16/
//	<64 hex digits>
const swarmKeyHeader = "/key/swarm/psk/1.0.0/\n/base16/\n"

// maxSwarmKeySize bounds what ParseSwarmKey reads: a swarm key file is
// under 100 bytes.
const maxSwarmKeySize = 1 << 10

// NewSwarmKey returns the bytes of a new swarm key file, 32 bytes from
// rand in base16.
func NewSwarmKey(rand io.Reader) ([]byte, error) {
	var k [32]byte
	if _, err := io.ReadFull(rand, k[:]); err != nil {
		return nil, protocol.E("new swarm key", protocol.Transient, "read randomness: %w", err)
	}
	return fmt.Appendf(nil, "%s%s\n", swarmKeyHeader, hex.EncodeToString(k[:])), nil
}

// ParseSwarmKey reads a swarm key file. Besides the base16 form that
// NewSwarmKey writes it accepts the /base64/ and /bin/ forms of the format.
func ParseSwarmKey(b []byte) (pnet.PSK, error) {
	const op = "parse swarm key"
	const want = "want /key/swarm/psk/1.0.0/, /base16/ and 64 hex digits on three lines"
	if len(b) > maxSwarmKeySize {
		return nil, protocol.E(op, protocol.Invalid, "%d bytes, too long for a swarm key file (%s)", len(b), want)
	}
	first, rest, _ := bytes.Cut(b, []byte("\n"))
	if string(bytes.TrimRight(first, "\r")) != "/key/swarm/psk/1.0.0/" {
		return nil, protocol.E(op, protocol.Invalid, "first line %q is not a swarm key header (%s)", clip(first), want)
	}
	enc, body, _ := bytes.Cut(rest, []byte("\n"))
	if string(bytes.TrimRight(enc, "\r")) == "/base16/" {
		// pnet reads the first 64 digits and ignores what follows; a
		// truncated or padded key is more likely a mistake than a key.
		if h := bytes.TrimSpace(body); len(h) != 64 {
			return nil, protocol.E(op, protocol.Invalid, "key is %d characters, want 64 hex digits", len(h))
		}
	}
	psk, err := pnet.DecodeV1PSK(bytes.NewReader(b))
	if err != nil {
		return nil, protocol.E(op, protocol.Invalid, "%v (%s)", err, want)
	}
	return psk, nil
}

func clip(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "…"
	}
	return string(b)
}
