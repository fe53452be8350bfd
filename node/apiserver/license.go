package apiserver

import (
	"net/http"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
)

// serveNotice answers GET /v1/notice/{id}?min_trust=LEVEL with the notice
// in Markdown.
func serveNotice(t Timeouts, svc Service) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, q, err := idAndQuery(t, w, r)
		if err != nil {
			return err
		}
		min := api.DefaultNoticeTrust
		if v := r.URL.Query().Get("min_trust"); v != "" {
			if err := min.UnmarshalText([]byte(v)); err != nil || min == protocol.Revoked {
				return protocol.E("notice", protocol.Invalid, "min_trust=%q: want asserted, acknowledged, mutual or certified", v)
			}
		}
		b, err := svc.Notice(r.Context(), id, min, q)
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", api.NoticeContentType)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		_, err = w.Write(b)
		return err
	}
}
