package catalog_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snapshotlake/snapshotlake/constructs/catalog"
	"github.com/snapshotlake/snapshotlake/internal/cdktest"
)

func TestNew_rejectsBadPropsNamingTheValue(t *testing.T) {
	stack := cdktest.NewStack("Bad")
	bucket := awss3.Bucket_FromBucketName(stack, jsii.String("B"), jsii.String(bucketName))
	bus := awsevents.EventBus_FromEventBusName(stack, jsii.String("Bus"), jsii.String("snapshotlake"))
	tests := []struct {
		name string
		give func(p *catalog.Props)
		want string
	}{
		{"missing bucket", func(p *catalog.Props) { p.Bucket = nil }, "catalog: Bucket is required"},
		{"missing bus", func(p *catalog.Props) { p.EventBus = nil }, "catalog: EventBus is required"},
		{"upper-case database", func(p *catalog.Props) { p.DatabaseName = "Analytics" }, `got "Analytics"`},
		{"concurrency too high", func(p *catalog.Props) { p.MaxConcurrency = 20000 }, "got 20000"},
		{"fractional timeout", func(p *catalog.Props) { p.Timeout = awscdk.Duration_Millis(jsii.Number(1500)) }, "catalog: Timeout must be a positive whole number of seconds"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &catalog.Props{Bucket: bucket, EventBus: bus}
			tt.give(p)
			_, err := catalog.New(stack, fmt.Sprintf("C%d", i), p)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestNew_reportsEveryBadPropAtOnce(t *testing.T) {
	// GIVEN no bucket and no bus, and a database name Athena refuses
	_, err := catalog.New(cdktest.NewStack("AllBad"), "Catalog", &catalog.Props{DatabaseName: "my-db"})
	// THEN the one error names all three, each on its own line
	require.Error(t, err)
	assert.Equal(t, []string{
		"catalog: Bucket is required",
		"catalog: EventBus is required",
		`catalog: DatabaseName must be 1-255 lowercase letters, digits and underscores (Athena's rule), got "my-db"`,
	}, strings.Split(err.Error(), "\n"))
}
