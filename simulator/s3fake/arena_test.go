package s3fake

import (
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// GIVEN a key whose bytes the caller reuses after the call (as the JSONata
// bridge reuses its response buffers)
// WHEN the fake stores an object under it, and more objects than one arena
// block holds
// THEN every stored key keeps its own bytes and every object its own size.
func TestStoredKeysOutliveTheCallersBuffer(t *testing.T) {
	f := NewFake()
	f.CreateBucket("b")
	buf := []byte("k/0000")
	n := arenaObjects + 10
	for i := range n {
		buf[2], buf[3], buf[4], buf[5] = byte('0'+i/1000), byte('0'+i/100%10), byte('0'+i/10%10), byte('0'+i%10)
		key := unsafe.String(&buf[0], len(buf)) //nolint:gosec // shares buf on purpose, like a decoded request
		require.NoError(t, f.PutDeclared("b", key, int64(i+1)))
	}
	buf[2] = 'x'
	keys, sizes := f.Sizes("b", "k/")
	require.Len(t, keys, n)
	for i, k := range keys {
		assert.Equal(t, int64(i+1), sizes[i], k)
		o, ok := f.Object("b", k)
		require.True(t, ok, k)
		assert.Equal(t, k, o.Key)
	}
	assert.Equal(t, "k/0000", keys[0])
}

// GIVEN two declared objects stored one after the other
// WHEN one's content grows (an append, as a multipart concatenation does)
// THEN the other's content is unchanged: arena extents never overlap.
func TestArenaExtentsAreIndependent(t *testing.T) {
	var a arena
	x := a.declared("b", "x", 10)
	y := a.declared("b", "y", 20)
	x = append(x, extent{data: []byte("zz")})
	assert.Equal(t, "y", y[0].originKey)
	assert.Equal(t, int64(20), y[0].n)
	assert.Len(t, x, 2)
	assert.Nil(t, a.declared("b", "empty", 0))
}

// GIVEN strings of every size around the arena's limits
// WHEN the arena copies them
// THEN each copy equals its original and shares no memory with it.
func TestArenaStrings(t *testing.T) {
	var a arena
	for _, n := range []int{0, 1, arenaBytes / 16, arenaBytes/16 + 1, arenaBytes} {
		s := strings.Repeat("a", n)
		c := a.str(s)
		assert.Equal(t, s, c)
		if n > 0 {
			assert.NotSame(t, unsafe.StringData(s), unsafe.StringData(c)) //nolint:gosec // only compares addresses
		}
	}
}
