package cfn

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
)

// World gives every resource of a synthesized template the physical name
// and ARN CloudFormation would give it in the simulated account,
// deterministically, so state machine definitions resolve to plain JSON.
type World struct {
	Stack     string
	Resources map[string]map[string]any
}

var nonName = regexp.MustCompile(`[^a-z0-9-]+`)

// PhysicalName is "<stack>-<logical id>" in the form the resource type allows.
func (w World) PhysicalName(logicalID string) string {
	name := strings.ToLower(w.Stack + "-" + logicalID)
	name = nonName.ReplaceAllString(name, "-")
	if len(name) > 63 {
		name = name[:63]
	}
	return strings.Trim(name, "-")
}

// TypeOf returns a resource's type, or "".
func (w World) TypeOf(logicalID string) string {
	t, _ := w.Resources[logicalID]["Type"].(string)
	return t
}

// KeyID is the key id of a KMS key: a UUID derived from its logical id.
func KeyID(logicalID string) string {
	h := sha256.Sum256([]byte(logicalID))
	x := hex.EncodeToString(h[:16])
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

// StateMachineArn is the ARN of the state machine logicalID.
func (w World) StateMachineArn(logicalID string) string {
	return fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", Region, Account, w.PhysicalName(logicalID))
}

// Resolve resolves v's intrinsics in this world.
func (w World) Resolve(v any) (any, error) { return Resolve(v, w, w.Stack, false) }

// Ref is what {"Ref": id} of a resource resolves to.
func (w World) Ref(id string) (string, error) {
	switch w.TypeOf(id) {
	case "":
		return "", fmt.Errorf("reference to unknown resource %q", id)
	case "AWS::KMS::Key":
		return KeyID(id), nil
	case "AWS::StepFunctions::StateMachine":
		return w.StateMachineArn(id), nil
	case "AWS::SQS::Queue":
		return fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", Region, Account, w.PhysicalName(id)), nil
	default:
		return w.PhysicalName(id), nil
	}
}

// GetAtt is what {"Fn::GetAtt": [id, attr]} resolves to.
func (w World) GetAtt(id, attr string) (string, error) {
	name := w.PhysicalName(id)
	switch w.TypeOf(id) + "." + attr {
	case "AWS::S3::Bucket.Arn":
		return "arn:aws:s3:::" + name, nil
	case "AWS::KMS::Key.Arn":
		return fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", Region, Account, KeyID(id)), nil
	case "AWS::IAM::Role.Arn":
		return fmt.Sprintf("arn:aws:iam::%s:role/%s", Account, name), nil
	case "AWS::StepFunctions::StateMachine.Arn":
		return w.StateMachineArn(id), nil
	case "AWS::StepFunctions::StateMachine.Name":
		return name, nil
	case "AWS::Logs::LogGroup.Arn":
		return fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s:*", Region, Account, name), nil
	case "AWS::SQS::Queue.Arn":
		return fmt.Sprintf("arn:aws:sqs:%s:%s:%s", Region, Account, name), nil
	case "AWS::RDS::DBCluster.DBClusterArn":
		return fmt.Sprintf("arn:aws:rds:%s:%s:cluster:%s", Region, Account, name), nil
	}
	return "", fmt.Errorf("no local value for Fn::GetAtt %s.%s (%s)", id, attr, w.TypeOf(id))
}
