package apiserver

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
)

// noticeEcho is a node whose notice names the level it was asked for.
type noticeEcho struct{ fakeService }

func (noticeEcho) Notice(_ context.Context, id protocol.ID, min protocol.Trust, _ api.QueryOptions) ([]byte, error) {
	return []byte("# notice at " + min.String() + "\n"), nil
}

// TestNoticeRoute: the notice is Markdown, not sniffed; min_trust
// defaults to acknowledged, and a level that is not one of the four is
// refused before the node is asked.
func TestNoticeRoute(t *testing.T) {
	srv := httptest.NewServer(New(noticeEcho{}, Options{}))
	defer srv.Close()
	id := protocol.ObjectID([]byte(`{"x":1}`)).String()
	for _, tt := range []struct {
		query  string
		status int
		body   string
	}{
		{"", 200, "# notice at acknowledged\n"},
		{"?min_trust=certified", 200, "# notice at certified\n"},
		{"?min_trust=asserted&local=1", 200, "# notice at asserted\n"},
		{"?min_trust=revoked", 400, ""},
		{"?min_trust=trusted", 400, ""},
	} {
		resp, err := http.Get(srv.URL + "/v1/notice/" + id + tt.query)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("%s: status %d, want %d: %s", tt.query, resp.StatusCode, tt.status, b)
			continue
		}
		if tt.status != 200 {
			continue
		}
		if string(b) != tt.body || resp.Header.Get("Content-Type") != api.NoticeContentType || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: %q, %v", tt.query, b, resp.Header)
		}
	}
}
