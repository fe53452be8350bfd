package api

import (
	"net/http"
	"slices"
	"strings"

	"github.com/commons-p2p/commons/protocol"
)

// statuses is the one table of the error kinds the API answers with, and
// the HTTP status each travels as. The server answers a kind with its
// Status; the client reads the kind back from the ErrorBody, or, when the
// body is not one (a proxy's page, a panic), from the status: Status or
// one of Also. A kind not in the table is answered with 500.
var statuses = []struct {
	Kind   protocol.Kind
	Status int
	Also   []int // statuses that proxies and other servers use for this kind
}{
	{protocol.Invalid, http.StatusBadRequest, []int{http.StatusUnprocessableEntity}},
	{protocol.NotFound, http.StatusNotFound, nil},
	{protocol.Exists, http.StatusConflict, nil},
	{protocol.Forbidden, http.StatusForbidden, []int{http.StatusUnauthorized}},
	{protocol.TooLarge, http.StatusRequestEntityTooLarge, nil},
	{protocol.Transient, http.StatusServiceUnavailable, []int{http.StatusTooManyRequests, http.StatusBadGateway, http.StatusGatewayTimeout}},
	{protocol.NoSpace, http.StatusInsufficientStorage, nil},
}

// StatusOf returns the HTTP status an error of kind k is answered with,
// and false for a kind the table lacks (answered with 500, as a failure
// of the server).
func StatusOf(k protocol.Kind) (int, bool) {
	for _, s := range statuses {
		if s.Kind == k {
			return s.Status, true
		}
	}
	return http.StatusInternalServerError, false
}

// KindOfStatus guesses the kind of an error answered with status and no
// ErrorBody: protocol.Other when the status says nothing more.
func KindOfStatus(status int) protocol.Kind {
	for _, s := range statuses {
		if s.Status == status || slices.Contains(s.Also, status) {
			return s.Kind
		}
	}
	return protocol.Other
}

// KindNamed returns the kind whose name (as ErrorBody.Kind spells it) is
// name.
func KindNamed(name string) (protocol.Kind, bool) {
	for k := protocol.Kind(0); !strings.HasPrefix(k.String(), "kind("); k++ {
		if k.String() == name {
			return k, true
		}
	}
	return 0, false
}
