package protocol

// VerifyObjects is VerifyObject for many objects: objs[i] and errs[i] are
// what VerifyObject(raws[i]) returns, the same object or the same error,
// kind and message. Each signature is verified on its own under the rule
// of crypto/ed25519 (SPEC.md §2.6; verifysig.go says how and why there is
// no batch equation). It works on the calling goroutine; callers spread
// large inputs over cores.
func VerifyObjects(raws [][]byte) ([]*Object, []error) {
	objs := make([]*Object, len(raws))
	errs := make([]error, len(raws))
	for i, b := range raws {
		objs[i], errs[i] = VerifyObject(b)
	}
	return objs, errs
}
