package secure

import (
	"strings"
	"testing"
)

func TestValidators(t *testing.T) {
	const unresolved = "${Token[TOKEN.123]}" // as CDK encodes a string token
	cases := []struct {
		name    string
		check   func(what, v string) error
		good    []string
		bad     []string
		wantMsg string // in the error of the first bad value
	}{
		{"account", AccountID, []string{"111122223333", unresolved}, []string{"1111", "11112222333a", " 111122223333"}, "a 12-digit AWS account id"},
		{"organization", OrganizationID, []string{"o-a1b2c3d4e5", unresolved}, []string{"org", "o-ABCDEFGHIJ", "o-123"}, "o-a1b2c3d4e5"},
		{"e-mail", Email, []string{"ops@example.com", unresolved}, []string{"ops", "a b@example.com", "ops@example"}, "an e-mail address"},
		{"role-name prefix", RoleNamePrefix, []string{"snapshotlake-copy", "a+b=c,d.e@f_g", unresolved}, []string{"", "has space", "x/y", strings.Repeat("a", 41)}, "IAM role names"},
		{"region", Region, []string{"ap-northeast-1", "us-gov-west-1", "cn-north-1", unresolved}, []string{"tokyo", "AP-NORTHEAST-1"}, "an AWS region"},
		{"bucket name", BucketName,
			[]string{"analytics-bucket-444455556666", "a.b-c", "abc", strings.Repeat("a", 63), unresolved},
			[]string{"ab", "Analytics", "-abc", "abc-", "a..b", "192.168.5.4", "xn--abc", "sthree-abc", "amzn-s3-demo-abc",
				"abc-s3alias", "abc--ol-s3", "abc.mrap", "abc--x-s3", strings.Repeat("a", 64), "a_b"},
			"an S3 bucket name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, v := range c.good {
				// GIVEN a valid value (or a token) WHEN checked THEN no error
				if err := c.check("context x", v); err != nil {
					t.Errorf("%q: %v", v, err)
				}
			}
			for i, v := range c.bad {
				// GIVEN an invalid value WHEN checked THEN the error names
				// what was checked and the value
				err := c.check("context x", v)
				if err == nil {
					t.Errorf("%q accepted", v)
					continue
				}
				if !strings.HasPrefix(err.Error(), "context x must") || !strings.Contains(err.Error(), `"`+v+`"`) {
					t.Errorf("%q: error %q does not start with the name and show the value", v, err)
				}
				if i == 0 && !strings.Contains(err.Error(), c.wantMsg) {
					t.Errorf("%q: error %q does not say %q", v, err, c.wantMsg)
				}
			}
		})
	}
}
