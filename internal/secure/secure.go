// Package secure holds the project's secure defaults and the checks of the
// values a user gives, in one place for the stacks and every construct: the
// properties every bucket has, and validators for account ids, organization
// ids, e-mail addresses, IAM role-name prefixes, regions and bucket names.
//
// Every validator accepts an unresolved CDK token (the value is only known at
// deployment) and returns an error that starts with what the caller names
// the value (a context key, a construct prop) and ends with the bad value.
package secure

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"
)

// BucketProps returns the properties every bucket of the project starts
// from: SSE-KMS with key and an S3 Bucket Key (fewer KMS requests), TLS only,
// all public access blocked, ACLs disabled (BucketOwnerEnforced). The caller
// adds what differs (name, versioning, lifecycle, removal policy).
func BucketProps(key awskms.IKey) *awss3.BucketProps {
	return &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_KMS,
		EncryptionKey:     key,
		BucketKeyEnabled:  jsii.Bool(true),
		EnforceSSL:        jsii.Bool(true),
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
	}
}

// Unresolved tells whether s holds a CDK token (a value known only at
// deployment). CDK encodes a string token as "${Token[...]}" and a list
// token as "#{Token[...]}" (aws-cdk-lib core/lib/private/encoding.ts,
// BEGIN_STRING_TOKEN_MARKER and BEGIN_LIST_TOKEN_MARKER); checking the text
// keeps the validators free of jsii calls, so config checks run without Node.
func Unresolved(s string) bool {
	return strings.Contains(s, "${Token[") || strings.Contains(s, "#{Token[")
}

var (
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
	// Organizations: "o-" and 10 to 32 lowercase letters or digits
	// (Organization.Id pattern in the Organizations API reference).
	orgRE = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	// One "@", no spaces, a dot in the domain: enough to catch a typo; SNS
	// confirms the address itself.
	emailRE = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	// IAM role names are up to 64 of [A-Za-z0-9+=,.@_-]; 40 leave room for
	// the suffixes the constructs add ("-multipart-<region>").
	roleNamePrefixRE = regexp.MustCompile(`^[A-Za-z0-9+=,.@_-]{1,40}$`)
	regionRE         = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]$`)
	bucketCharsRE    = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	ipAddressRE      = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$`)
)

func check(ok bool, what, want, v string) error {
	if ok || Unresolved(v) {
		return nil
	}
	return fmt.Errorf("%s must be %s, got %q", what, want, v)
}

// AccountID checks a 12-digit AWS account id.
func AccountID(what, v string) error {
	return check(accountRE.MatchString(v), what, "a 12-digit AWS account id", v)
}

// OrganizationID checks an AWS Organizations id such as o-a1b2c3d4e5.
func OrganizationID(what, v string) error {
	return check(orgRE.MatchString(v), what, "an AWS Organizations id such as o-a1b2c3d4e5", v)
}

// Email checks an e-mail address.
func Email(what, v string) error {
	return check(emailRE.MatchString(v), what, "an e-mail address", v)
}

// RoleNamePrefix checks the start of an IAM role name.
func RoleNamePrefix(what, v string) error {
	return check(roleNamePrefixRE.MatchString(v), what, "1-40 characters allowed in IAM role names (letters, digits, +=,.@_-)", v)
}

// Region checks an AWS region name such as ap-northeast-1.
func Region(what, v string) error {
	return check(regionRE.MatchString(v), what, "an AWS region such as ap-northeast-1", v)
}

// BucketName checks a general purpose bucket name against S3's naming rules
// (Amazon S3 User Guide, "General purpose bucket naming rules"): 3-63
// lowercase letters, digits, dots and hyphens, beginning and ending with a
// letter or digit, no two adjacent periods, not an IP address, none of the
// reserved prefixes and suffixes.
func BucketName(what, v string) error {
	const want = "an S3 bucket name (3-63 lowercase letters, digits, dots, hyphens; starting and ending with a letter or digit)"
	if err := check(bucketCharsRE.MatchString(v), what, want, v); err != nil || Unresolved(v) {
		return err
	}
	if strings.Contains(v, "..") {
		return fmt.Errorf("%s must be an S3 bucket name without two adjacent periods, got %q", what, v)
	}
	if ipAddressRE.MatchString(v) {
		return fmt.Errorf("%s must be an S3 bucket name, not an IP address, got %q", what, v)
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(v, p) {
			return fmt.Errorf("%s must not start with %q (reserved by S3), got %q", what, p, v)
		}
	}
	for _, s := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3"} {
		if strings.HasSuffix(v, s) {
			return fmt.Errorf("%s must not end with %q (reserved by S3), got %q", what, s, v)
		}
	}
	return nil
}
