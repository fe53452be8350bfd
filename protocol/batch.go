package protocol

import voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"

// batchSigs is about how many signatures one batch equation covers. A
// larger batch costs less per signature, and more when it fails and every
// envelope in it is verified one by one; the envelopes of a batch are
// whole, so a batch may run over by an envelope's signatures.
const batchSigs = 64

// minBatchSigs is the fewest signatures worth a batch equation: below it
// the checks that let a signature into a batch cost more than they save.
const minBatchSigs = 4

// VerifyObjects is VerifyObject for many objects: objs[i] and errs[i] are
// what VerifyObject(raws[i]) returns, the same object or the same error,
// kind and message. The signatures are checked in batches (SPEC.md §2.6),
// each under the rule of crypto/ed25519 (batchsig.go says how): where a
// batch fails, its envelopes are verified one by one, which finds the bad
// ones and words their errors as VerifyObject does. It works on the
// calling goroutine; callers spread large inputs over cores.
func VerifyObjects(raws [][]byte) ([]*Object, []error) {
	objs := make([]*Object, len(raws))
	errs := make([]error, len(raws))
	envs := make([]*Envelope, len(raws))
	for i, b := range raws {
		envs[i], errs[i] = DecodeEnvelope(b)
	}
	verifyEnvelopes(envs, errs)
	for i, env := range envs {
		if errs[i] == nil {
			objs[i], errs[i] = ParseObject(env)
		}
	}
	return objs, errs
}

// verifyEnvelopes sets errs[i] to envs[i].Verify() where errs[i] is nil,
// leaving each envelope that verifies normalised, as Verify does.
func verifyEnvelopes(envs []*Envelope, errs []error) {
	var pending []int
	sigs := 0
	for i, env := range envs {
		if errs[i] != nil {
			continue
		}
		pending = append(pending, i)
		if sigs += len(env.Signatures); sigs >= batchSigs {
			verifyGroup(envs, errs, pending)
			pending, sigs = pending[:0], 0
		}
	}
	if len(pending) > 0 {
		verifyGroup(envs, errs, pending)
	}
}

// verifyGroup verifies the envelopes envs[i] for i in at with one batch
// equation. An envelope any of whose signatures may not enter a batch, and
// every envelope of a batch that fails, is verified by Verify itself.
func verifyGroup(envs []*Envelope, errs []error, at []int) {
	sigs := 0
	for _, i := range at {
		sigs += len(envs[i].Signatures)
	}
	if sigs < minBatchSigs {
		for _, i := range at {
			errs[i] = envs[i].Verify()
		}
		return
	}
	var b sigBatch
	batched := make([]bool, len(at))
	keys := make([]*voi.ExpandedPublicKey, 0, MaxSignatures)
	for j, i := range at {
		env := envs[i]
		if len(env.Signatures) == 0 {
			continue
		}
		keys = keys[:0]
		for _, s := range env.Signatures {
			k := batchable(s)
			if k == nil {
				break
			}
			keys = append(keys, k)
		}
		if len(keys) < len(env.Signatures) {
			continue
		}
		msg := PAE(env.PayloadType, env.Payload)
		for n, s := range env.Signatures {
			b.add(keys[n], msg, s.Sig)
		}
		batched[j] = true
	}
	held := b.verify()
	for j, i := range at {
		if held && batched[j] {
			envs[i].normalize()
		} else {
			errs[i] = envs[i].Verify()
		}
	}
}
