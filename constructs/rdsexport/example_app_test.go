package rdsexport_test

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"

	"github.com/snapshotlake/snapshotlake/constructs/rdsexport"
	"github.com/snapshotlake/snapshotlake/constructs/s3copy"
)

// A CDK Go app of your own: the snapshots of an existing Aurora cluster
// land in an existing analytics bucket of the same account. The README's
// "Use it as a library" shows this function's body as a main function
// (`go run ./cmd/docgen` copies it; test/readme_test.go checks the copy).
// The empty output comment makes `go test` run it, not only compile it.
func Example_app() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Snapshots"), nil)

	// The staging bucket RDS exports into, encrypted with its own key.
	exportKey := awskms.NewKey(stack, jsii.String("ExportKey"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true)})
	exportBucket := awss3.NewBucket(stack, jsii.String("ExportBucket"), &awss3.BucketProps{
		EncryptionKey:     exportKey,
		EnforceSSL:        jsii.Bool(true),
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
	})
	analytics := awss3.Bucket_FromBucketName(stack, jsii.String("Analytics"), jsii.String("my-analytics-bucket"))

	cp, err := s3copy.New(stack, "S3Copy", &s3copy.Props{
		SourceBucket: exportBucket, SourceKey: exportKey,
		DestinationBucket: analytics,
	})
	if err != nil {
		panic(err) // every bad prop, one per line
	}
	if _, err := rdsexport.New(stack, "RdsExport", &rdsexport.Props{
		ClusterIdentifiers: []string{"my-aurora-cluster"},
		ExportBucket:       exportBucket, ExportKey: exportKey,
		CopyStateMachine: cp.StateMachine(),
	}); err != nil {
		panic(err)
	}
	app.Synth(nil)
	// Output:
}
