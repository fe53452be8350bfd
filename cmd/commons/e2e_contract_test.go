package main

// The end-to-end tests run the real binary and daemons through the testnet
// package. The shapes below are the CLI's JSON contract as these tests read
// it: the field names, with IDs and DIDs as the strings a user sees.

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/commons-p2p/commons/testnet"
)

func TestMain(m *testing.M) { testnet.Main(m) }

func sha256Hex(s string) string { d := sha256.Sum256([]byte(s)); return hex.EncodeToString(d[:]) }

// JSON shapes the tests read: the contract's field names, as strings.
type (
	idJSON struct {
		DID    string   `json:"did"`
		PeerID string   `json:"peer_id"`
		Addrs  []string `json:"addrs"`
		Repo   string   `json:"repo"`
	}
	peerJSON struct {
		PeerID string   `json:"peer_id"`
		Addrs  []string `json:"addrs"`
		Score  *float64 `json:"score"` // a pointer, to tell an absent score from 0
	}
	keyJSON struct {
		Name string `json:"name"`
		DID  string `json:"did"`
	}
	publishedJSON struct {
		ID      string `json:"id"`
		Kind    string `json:"kind"`
		Signer  string `json:"signer"`
		Files   int    `json:"files"`
		Bytes   int64  `json:"bytes"`
		Signers int    `json:"signers"`
	}
	fileJSON struct {
		Name   string `json:"name"`
		SHA256 string `json:"sha256"`
		Size   int64  `json:"size"`
	}
	datasetJSON struct {
		ID        string     `json:"id"`
		Name      string     `json:"name"`
		License   string     `json:"license"`
		Publisher string     `json:"publisher"`
		Parents   []string   `json:"parents"`
		Files     []fileJSON `json:"files"`
		FileCount *int64     `json:"file_count"` // a pointer, to tell an absent count from 0
		Next      string     `json:"next"`
		Manifest  *struct {
			Root  string `json:"root"`
			Count int64  `json:"count"`
			Bytes int64  `json:"bytes"`
		} `json:"manifest"`
	}
	contributorJSON struct {
		DID     string   `json:"did"`
		Role    string   `json:"role"`
		Weight  float64  `json:"weight"`
		Trust   string   `json:"trust"`
		Claim   string   `json:"claim"`
		Signers []string `json:"signers"`
	}
	attributionJSON struct {
		Subject      string            `json:"subject"`
		Contributors []contributorJSON `json:"contributors"`
		Lineage      []struct {
			ID           string            `json:"id"`
			Contributors []contributorJSON `json:"contributors"`
		} `json:"lineage"`
	}
	locateJSON struct {
		SHA256   string `json:"sha256"`
		Datasets []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
			Path string `json:"path"`
		} `json:"datasets"`
	}
)

func (a attributionJSON) claim(t *testing.T, id string) contributorJSON {
	t.Helper()
	for _, c := range a.Contributors {
		if c.Claim == id {
			return c
		}
	}
	t.Fatalf("attribution of %s does not list claim %s: %+v", a.Subject, id, a.Contributors)
	return contributorJSON{}
}

func trustOf(t *testing.T, repo, subject, claim string) contributorJSON {
	t.Helper()
	var a attributionJSON
	testnet.RunJSON(t, &a, "attribution", subject, "--repo", repo, "--json")
	if a.Subject != subject {
		t.Errorf("attribution subject = %q, want %q", a.Subject, subject)
	}
	return a.claim(t, claim)
}
