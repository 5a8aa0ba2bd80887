package s3copy

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/jsii-runtime-go"

	"github.com/snapshotlake/snapshotlake/constructs/internal/sfnkit"
	"github.com/snapshotlake/snapshotlake/internal/secure"
)

// Props configures an S3Copy.
type Props struct {
	// SourceBucket holds the RDS exports (the staging export bucket). Required.
	SourceBucket awss3.IBucket
	// SourceKey encrypts the exports. Default: no KMS permissions on the
	// source (objects not encrypted with a customer-managed key).
	SourceKey awskms.IKey
	// DestinationBucket receives the Hive-style copy. Required.
	DestinationBucket awss3.IBucket
	// DestinationKey is the destination's KMS key: copies are written with
	// SSE-KMS under this key, given by full ARN so it works across accounts.
	// Default: copies take the destination bucket's default encryption.
	DestinationKey awskms.IKey
	// DestinationAccount owns DestinationBucket: every write to it carries
	// ExpectedBucketOwner, so S3 refuses the write if the bucket name ever
	// belongs to another account. Default: not checked.
	DestinationAccount string
	// DestinationPrefix starts every destination key, e.g. "rds/".
	// Default: none (keys start with the database name).
	DestinationPrefix string
	// MetadataPrefix is where export metadata files (export_info_*.json,
	// export_tables_info_*.json) go, below DestinationPrefix, as
	// "<MetadataPrefix>/<source identifier>/<partition>/<file>".
	// Default: "_export_metadata".
	MetadataPrefix string
	// PartitionKey names the partition folder. Default: "partition_datetime".
	PartitionKey string
	// PartitionValuePicture formats the snapshot time (UTC) into the
	// partition value, as a JSONata $fromMillis picture string.
	// Default: "[Y0001][M01][D01]T[H01][m01][s01]Z" (e.g. 20261124T030405Z).
	PartitionValuePicture string
	// MaxConcurrency is the number of child executions a Distributed Map runs
	// at once; each table is copied by its own Distributed Maps, so this
	// bounds the copies into one table's prefix. Default: 50.
	MaxConcurrency int
	// ItemsPerBatch is the number of objects one child execution copies.
	// Default: 100.
	ItemsPerBatch int
	// MultipartThresholdBytes is the size above which an object is copied by a
	// multipart copy in its own Standard execution instead of a CopyObject in
	// an Express child. Between 5 MiB and 5 GiB. Default: 256 MiB.
	MultipartThresholdBytes int64
	// RoleNamePrefix names the copy roles "<prefix>-<region>",
	// "<prefix>-table-<region>" and "<prefix>-multipart-<region>", so that a destination bucket and key in
	// another account can admit them by name (destination.Props
	// CopyRoleNamePrefix). Default: generated role names.
	RoleNamePrefix string
	// Timeout of one copy run. Default: 24 hours.
	Timeout awscdk.Duration

	// LogLevel of the state machines' execution logs. Default: ERROR.
	LogLevel awsstepfunctions.LogLevel
	// LogRetention of the execution log groups. Default: one year.
	LogRetention awslogs.RetentionDays
}

// Defaults and S3's limits.
const (
	DefaultPartitionKey          = "partition_datetime"
	DefaultPartitionValuePicture = "[Y0001][M01][D01]T[H01][m01][s01]Z"
	DefaultMetadataPrefix        = "_export_metadata"
	// DefaultMaxConcurrency bounds the copies in flight into one table's
	// prefix (50 children × 20) to about twice what saturates it (3,500
	// writes/s × 0.14 s per 4 MiB copy ≈ 490, package simulator/timing):
	// enough to keep it busy while some copies wait out SlowDown, few enough
	// that 20 tables copied at once (20 prefixes) stay near S3's bound.
	// 1,000 children × 40 (the first defaults) put 40,000 copies on one hot
	// table's prefix; 250 × 20, the next, 5,000 (README "Copy at S3's speed").
	DefaultMaxConcurrency = 50
	// DefaultItemsPerBatch makes a table of 5,000 objects 50 children, which
	// saturate its prefix; 500 made it 10 (3.5 s of copies each), far below.
	DefaultItemsPerBatch = 100
	// DefaultMultipartThresholdBytes keeps an Express child's batch well inside
	// Express's 5 minutes: 100 files of up to 256 MiB, 20 at a time (13 s at
	// the timing model's 100 MiB/s a copy).
	DefaultMultipartThresholdBytes = 256 << 20

	maxCopyObjectBytes = 5 << 30 // CopyObject's and a part's upper limit
	minPartSizeBytes   = 5 << 20
	// maxBatchBytes bounds a batch's Items (ItemReader items, about the key
	// length plus 110 bytes each). classify.jsonata's records are at most
	// twice that (key, destination key, size and kind), so a child's
	// classified batch stays under Step Functions' 256 KiB payload limit.
	maxBatchBytes = 96 << 10
	// childConcurrency is how many objects an Express child copies at once.
	// 20 of the inline Map's 40: on one hot prefix, a third fewer throttled
	// requests and a copy nearer S3's bound (200,000 objects: 1.31× instead
	// of 1.50×; README "Copy at S3's speed"), while 250 children × 20 still
	// copy 35,000 objects a second when nothing throttles.
	childConcurrency = 20
	// largeConcurrency is how many multipart copies one Standard child runs
	// at once: the inline Map's 40 (was 4, which left a 2,000 × 1 GiB copy
	// at 165 s simulated for an S3 bound of 1.3 s; README "Copy at S3's speed").
	largeConcurrency = 40
	// largeFilesPerBatch is how many large files the large-file pass aims
	// to put in one Standard child (large_batch.jsonata): half of
	// largeConcurrency, as the batch size is judged from the data batches'
	// upper bound (500 objects; the 96 KiB limit may cut them to ~340, which
	// makes it ~30) and large files need not be evenly spread.
	largeFilesPerBatch = largeConcurrency / 2
	// databasesAtOnce is how many database folders the copy lists and
	// copies at once; tablesAtOnce how many table copy executions each of
	// them runs at once. Their product (400) bounds the table executions in
	// flight, each with up to MaxConcurrency children: on one table they
	// write into one prefix, so tables at once multiply S3's rate, not the
	// pressure on any one prefix.
	databasesAtOnce = 10
	tablesAtOnce    = 40
	// partsAtOnce is how many parts a multipart copy copies at once; an
	// object up to 5 GiB (10 × 512 MiB) is cut into at most this many
	// (parts.jsonata), so it takes one round of part copies.
	partsAtOnce = 10
)

type settings struct {
	Props
	timeout awscdk.Duration
}

// settings applies defaults and checks every prop; the error joins one
// message per bad prop (errors.Join), each naming the bad value.
func (p *Props) settings() (*settings, error) {
	if p == nil {
		return nil, fmt.Errorf("s3copy: props are required")
	}
	s := &settings{Props: *p}
	var errs []error
	if p.SourceBucket == nil {
		errs = append(errs, fmt.Errorf("s3copy: SourceBucket is required"))
	}
	if p.DestinationBucket == nil {
		errs = append(errs, fmt.Errorf("s3copy: DestinationBucket is required"))
	}
	if s.PartitionKey == "" {
		s.PartitionKey = DefaultPartitionKey
	}
	if s.PartitionValuePicture == "" {
		s.PartitionValuePicture = DefaultPartitionValuePicture
	}
	if s.MetadataPrefix == "" {
		s.MetadataPrefix = DefaultMetadataPrefix
	}
	if s.MaxConcurrency == 0 {
		s.MaxConcurrency = DefaultMaxConcurrency
	}
	if s.ItemsPerBatch == 0 {
		s.ItemsPerBatch = DefaultItemsPerBatch
	}
	if s.MultipartThresholdBytes == 0 {
		s.MultipartThresholdBytes = DefaultMultipartThresholdBytes
	}
	if strings.ContainsAny(s.PartitionKey, "/=") || strings.TrimSpace(s.PartitionKey) != s.PartitionKey {
		errs = append(errs, fmt.Errorf("s3copy: PartitionKey must not contain '/', '=' or surrounding spaces, got %q", s.PartitionKey))
	}
	if strings.Contains(s.PartitionValuePicture, "/") {
		errs = append(errs, fmt.Errorf("s3copy: PartitionValuePicture must not produce '/', got %q", s.PartitionValuePicture))
	}
	if !strings.Contains(s.PartitionValuePicture, "[") {
		errs = append(errs, fmt.Errorf("s3copy: PartitionValuePicture must hold at least one [component] of the snapshot time, got %q", s.PartitionValuePicture))
	}
	for _, pf := range []struct{ name, value string }{{"DestinationPrefix", s.DestinationPrefix}, {"MetadataPrefix", s.MetadataPrefix}} {
		if sfnkit.Unresolved(pf.value) {
			continue
		}
		if strings.HasPrefix(pf.value, "/") || strings.Contains(pf.value, "//") {
			errs = append(errs, fmt.Errorf("s3copy: %s must not start with '/' nor contain '//', got %q", pf.name, pf.value))
		}
	}
	if strings.Trim(s.MetadataPrefix, "/") == "" {
		errs = append(errs, fmt.Errorf("s3copy: MetadataPrefix must name a folder, got %q", s.MetadataPrefix))
	}
	if s.MaxConcurrency < 1 || s.MaxConcurrency > 10000 {
		errs = append(errs, fmt.Errorf("s3copy: MaxConcurrency must be between 1 and 10000, got %d", s.MaxConcurrency))
	}
	if s.ItemsPerBatch < 1 || s.ItemsPerBatch > 1000 {
		errs = append(errs, fmt.Errorf("s3copy: ItemsPerBatch must be between 1 and 1000, got %d", s.ItemsPerBatch))
	}
	if s.MultipartThresholdBytes < minPartSizeBytes || s.MultipartThresholdBytes > maxCopyObjectBytes {
		errs = append(errs, fmt.Errorf("s3copy: MultipartThresholdBytes must be between %d (5 MiB) and %d (5 GiB) bytes, got %d", minPartSizeBytes, int64(maxCopyObjectBytes), s.MultipartThresholdBytes))
	}
	if s.DestinationAccount != "" {
		errs = append(errs, secure.AccountID("s3copy: DestinationAccount", s.DestinationAccount))
	}
	if s.RoleNamePrefix != "" {
		errs = append(errs, secure.RoleNamePrefix("s3copy: RoleNamePrefix", s.RoleNamePrefix))
	}
	s.timeout = p.Timeout
	if s.timeout == nil {
		s.timeout = awscdk.Duration_Hours(jsii.Number(24))
	}
	if _, err := sfnkit.Seconds("s3copy: Timeout", s.timeout); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return s, nil
}

// destinationPrefix is DestinationPrefix with exactly one trailing slash, or "".
func (s *settings) destinationPrefix() string {
	if s.DestinationPrefix == "" || strings.HasSuffix(s.DestinationPrefix, "/") {
		return s.DestinationPrefix
	}
	return s.DestinationPrefix + "/"
}
