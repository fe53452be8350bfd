package protocol

// The readers and checks below are protocol's own, exported for the
// packages that define records on top of it (protocol/gov), so that a
// governance update is read and refused by the same rules as a statement.
// Nothing else should need them: a record of this package has its own door.

// DecodeStrict reads the JSON b into v as every record of the protocol is
// read (SPEC.md §2.1, §3.1): UTF-8 only, no key twice, keys spelled exactly
// as the field's JSON name, every field without omitempty present, no
// trailing data. what names the value in messages. v must point to the
// zero value of its type.
func DecodeStrict(what string, b []byte, v any) error { return decodeStrict(what, b, v) }

// CheckTimeText refuses a time that is not spelled as SPEC.md §3.2 fixes;
// where names it in the message.
func CheckTimeText(b []byte, where string) error { return checkTimeText(b, where) }

// CheckReason refuses a reason (of a revocation or a governance proposal)
// that is missing, too long, or holds a character no text field may hold.
func CheckReason(field, s string) error { return checkText(field, s, reasonText) }

// CheckParamValue refuses a param value that is too long or holds a
// character no text field may hold.
func CheckParamValue(field, s string) error { return checkText(field, s, paramText) }

// CheckToken accepts lowercase words joined by hyphens ("annotator",
// "trained-on"), at most MaxTokenLen bytes.
func CheckToken(field, s string) error { return checkToken(field, s) }

// Clip shortens a value quoted in an error message so that a hostile input
// cannot make logs huge.
func Clip(s string) string { return clip(s) }

// MinCreatedYear is the first year a record's time may fall in: earlier
// times are refused.
const MinCreatedYear = minCreatedUTC

// ShardByte returns a byte of d's public key: spread evenly over keys, and
// free to read, for splitting a map of DIDs into shards.
func (d DID) ShardByte() byte { return d.pub[0] }
