package protocol

import (
	"crypto/ed25519"
	"sync"

	"github.com/oasisprotocol/curve25519-voi/curve"
	"github.com/oasisprotocol/curve25519-voi/curve/scalar"
	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// Verification of Ed25519 signatures (SPEC.md §2.6).
//
// The rule is crypto/ed25519's: S < L, A decodes, and [S]B − [k]A must
// encode to exactly the 32 bytes of R (the cofactorless equation, compared
// as bytes), k being SHA-512(R ‖ A ‖ M) mod L. verifySig applies that very
// rule, and for most signatures about twice as fast: where the key is the
// canonical encoding of a point of the prime-order subgroup, it asks
// curve25519-voi, whose VerifyOptionsStdLib preset checks the same
// equation the same way (S canonical, R compared as bytes with the
// canonical encoding of [S]B − [k]A), with the key's multiples computed
// once (keyChecks) and vector arithmetic; every other key goes to
// crypto/ed25519 itself, so that an odd key — non-canonical, off the
// curve, with a component of small order — is judged by the reference and
// not by a second reading of it. The differential tests
// (verify_attack_test.go) hold the two to the same answers.
//
// There is no batch equation. Summed over many signatures with random
// weights, an equation is sound only when multiplied by the cofactor 8 (a
// torsion component of R survives in the sum and vanishes whenever the
// weights happen to kill it — for a component of order 2, half the time),
// and the cofactored equation accepts signatures the stdlib refuses (R an
// honest nonce point plus a point of small order). Making the two agree
// takes a check per signature that R is of prime order, a scalar
// multiplication (about 25 µs), and with it a batched signature cost
// about 48 µs of CPU against 37 µs for curve25519-voi's single
// verification with a precomputed key and 67 µs for crypto/ed25519
// (docs/PERFORMANCE.md; BenchmarkVerifySignatures).
// Deciding a signature by curve25519-voi's half-length lattice equation
// (ExpandedTripleScalarMulBasepointVartime), exact when its multiplier of
// R is odd, was no faster either once that parity is found.

// stdlibRule is crypto/ed25519's rule in curve25519-voi's words. Its
// allowances for keys are never used: verifySig lets only canonical keys
// of prime order reach it.
var stdlibRule = &voi.Options{Verify: voi.VerifyOptionsStdLib}

// lMinusOne is L − 1 as a scalar: [L−1]P + P = [L]P, which is the identity
// exactly when P is in the prime-order subgroup (L itself reduces to 0).
var lMinusOne = func() scalar.Scalar {
	var s scalar.Scalar
	s.Sub(scalar.NewFromUint64(0), scalar.NewFromUint64(1))
	return s
}()

// primeOrder reports whether p is in the prime-order subgroup, in variable
// time (p is public).
func primeOrder(p *curve.EdwardsPoint) bool {
	var zero scalar.Scalar
	var q curve.EdwardsPoint
	q.DoubleScalarMulBasepointVartime(&lMinusOne, p, &zero)
	return q.Add(&q, p).IsIdentity()
}

// canonicalPrimeOrderPoint decodes b and reports whether it is the
// canonical encoding of a point of the prime-order subgroup.
func canonicalPrimeOrderPoint(b []byte) bool {
	var c curve.CompressedEdwardsY
	if _, err := c.SetBytes(b); err != nil || !c.IsCanonicalVartime() {
		return false
	}
	var p curve.EdwardsPoint
	if _, err := p.SetCompressedY(&c); err != nil {
		return false
	}
	return primeOrder(&p)
}

// keyCheckSize bounds the keys keyChecks remembers; a flood of new keys
// only evicts.
const keyCheckSize = 1024

// keyChecks remembers, per key, its expanded form when the key is
// canonical and of prime order, and nil when it is not. Like didCache it
// is a memo of a pure function: it changes how fast a signature is
// verified, never the answer.
var keyChecks = struct {
	sync.RWMutex
	m map[DID]*voi.ExpandedPublicKey
}{m: make(map[DID]*voi.ExpandedPublicKey)}

// expandedKey returns the expanded form of d, or nil when d's signatures
// go to crypto/ed25519.
func expandedKey(d DID) *voi.ExpandedPublicKey {
	keyChecks.RLock()
	k, ok := keyChecks.m[d]
	keyChecks.RUnlock()
	if ok {
		return k
	}
	k = nil
	if canonicalPrimeOrderPoint(d.pub[:]) {
		k, _ = voi.NewExpandedPublicKey(d.pub[:])
	}
	keyChecks.Lock()
	if len(keyChecks.m) >= keyCheckSize {
		for old := range keyChecks.m { // an arbitrary one: map order is random
			delete(keyChecks.m, old)
			break
		}
	}
	keyChecks.m[d] = k
	keyChecks.Unlock()
	return k
}

// verifySig reports whether s is a valid signature over msg by its key,
// under crypto/ed25519's rule.
func verifySig(s Signature, msg []byte) bool {
	if k := expandedKey(s.KeyID); k != nil {
		return voi.VerifyExpandedWithOptions(k, msg, s.Sig, stdlibRule)
	}
	return ed25519.Verify(s.KeyID.pub[:], msg, s.Sig)
}
