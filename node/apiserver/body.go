package apiserver

// Reading a request — its query, its path, its body, strictly — and
// writing the answer or the refusal.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
)

// queryOptions reads the parameters local and timeout of a read.
func queryOptions(r *http.Request) (api.QueryOptions, error) {
	const op = "query options"
	var q api.QueryOptions
	vals := r.URL.Query()
	switch v := vals.Get("local"); v {
	case "", "0", "false":
	case "1", "true":
		q.Local = true
	default:
		return q, protocol.E(op, protocol.Invalid, "local=%q: want 1 or 0", v)
	}
	if v := vals.Get("timeout"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return q, protocol.E(op, protocol.Invalid, "timeout=%q: want a positive duration such as 5s", v)
		}
		if d > api.MaxQueryTimeout {
			return q, protocol.E(op, protocol.Invalid, "timeout=%s is above the most a query may take, %s", d, api.MaxQueryTimeout)
		}
		q.Timeout = d
	}
	return q, nil
}

// minTrustQuery reads min_trust, api.DefaultCreditTrust when absent.
func minTrustQuery(r *http.Request) (protocol.Trust, error) {
	v := r.URL.Query().Get("min_trust")
	if v == "" {
		return api.DefaultCreditTrust, nil
	}
	var t protocol.Trust
	if err := t.UnmarshalText([]byte(v)); err != nil || t == protocol.Revoked {
		return t, protocol.E("query options", protocol.Invalid, "min_trust=%q: want asserted, acknowledged, mutual or certified", v)
	}
	return t, nil
}

func pathID(r *http.Request) (protocol.ID, error) { return protocol.ParseID(r.PathValue("id")) }

func readBody(r *http.Request, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) || int64(len(b)) > limit {
		return nil, protocol.E("read request", protocol.TooLarge, "request body is over the limit of %d bytes", limit)
	}
	if isTimeout(err) {
		return nil, protocol.E("read request", protocol.Transient, "%w: the body did not arrive in the time allowed (%v)", errBodyStalled, err)
	}
	if err != nil {
		return nil, protocol.E("read request", protocol.Transient, "%w", err)
	}
	return b, nil
}

// readJSON reads the body into v. A value that v's type refuses (an ID, a
// digest) is refused as op would refuse it, naming the member.
func readJSON(op string, r *http.Request, v any) error {
	b, err := readBody(r, MaxRequestBody)
	if err != nil {
		return err
	}
	if len(b) == 0 {
		return nil
	}
	if err := strictDecode(b, v); err != nil {
		var bad *protocol.Error
		if errors.As(err, &bad) {
			// A value that read itself and refused: an ID, a digest.
			return protocol.E(op, protocol.Invalid, "%s: %w", memberRefused(b, v), err)
		}
		return protocol.E("read request", protocol.Invalid, "malformed JSON request: %v", err)
	}
	return nil
}

// memberRefused names the member of the JSON object b whose value the
// struct v refused, reading each member alone into its field; "request"
// when none alone is refused.
func memberRefused(b []byte, v any) string {
	var members map[string]json.RawMessage
	t := reflect.TypeOf(v).Elem()
	if json.Unmarshal(b, &members) != nil || t.Kind() != reflect.Struct {
		return "request"
	}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		raw, ok := members[name]
		if !ok || name == "" || name == "-" {
			continue
		}
		if json.Unmarshal(raw, reflect.New(f.Type).Interface()) != nil {
			return name
		}
	}
	return "request"
}

// strictDecode decodes one JSON value into v, refusing unknown fields and
// anything after the value.
func strictDecode(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	// More would miss a stray '}' or ']': only the end of the body may
	// follow the value.
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("data after the JSON value")
	}
	return nil
}

func writeJSON(w http.ResponseWriter, v any) error {
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(v)
}

// writeError answers err with the status of its kind, and logs it when
// no status describes it. It returns the status.
func writeError(log *slog.Logger, w http.ResponseWriter, r *http.Request, err error) int {
	kind := protocol.KindOf(err)
	code, ok := api.StatusOf(kind)
	if !ok {
		log.Error("api request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if errors.Is(err, errBodyStalled) {
		// The connection's read deadline has passed: it cannot carry
		// another request.
		code = http.StatusRequestTimeout
		w.Header().Set("Connection", "close")
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(api.ErrorBody{Error: err.Error(), Kind: kind.String()})
	return code
}

// filesPage reads the page of a dataset's files a request asks for:
// after=PATH (a path, compared by its key) and limit=N, 1 to
// api.MaxFilesLimit.
func filesPage(r *http.Request) (api.FilesPage, error) {
	const op = "files page"
	vals := r.URL.Query()
	page := api.FilesPage{After: vals.Get("after")}
	if len(page.After) > 3*protocol.MaxPathLen {
		return page, protocol.E(op, protocol.Invalid, "after= is %d bytes, longer than any path", len(page.After))
	}
	if !utf8.ValidString(page.After) {
		return page, protocol.E(op, protocol.Invalid, "after= is not UTF-8")
	}
	limit, err := limitParam(op, vals.Get("limit"), api.MaxFilesLimit)
	page.Limit = limit
	return page, err
}

// diffParams reads the parameters of a diff: from=ID (required) and
// limit=N, 0 to api.MaxFilesLimit.
func diffParams(r *http.Request) (protocol.ID, int, error) {
	const op = "diff"
	vals := r.URL.Query()
	v := vals.Get("from")
	if v == "" {
		return protocol.ID{}, 0, protocol.E(op, protocol.Invalid, "from= is required: the ID of the dataset to compare with")
	}
	from, err := protocol.ParseID(v)
	if err != nil {
		return from, 0, protocol.E(op, protocol.Invalid, "from=: %w", err)
	}
	limit, err := limitParam(op, vals.Get("limit"), api.MaxFilesLimit)
	return from, limit, err
}

// limitParam reads limit=N: empty is 0, the server's default.
func limitParam(op, v string, most int) (int, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > most {
		return 0, protocol.E(op, protocol.Invalid, "limit=%q: want a number from 1 to %d", clipText(v, 32), most)
	}
	return n, nil
}
