package cfn

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWorld_resolvesIntrinsicsToLocalNames(t *testing.T) {
	w := World{Stack: "Stack", Resources: map[string]map[string]any{
		"Bucket1":  {"Type": "AWS::S3::Bucket"},
		"Key1":     {"Type": "AWS::KMS::Key"},
		"Machine1": {"Type": "AWS::StepFunctions::StateMachine"},
		"Role1":    {"Type": "AWS::IAM::Role"},
	}}
	tests := []struct {
		name string
		give any
		want any
	}{
		{"bucket ref", map[string]any{"Ref": "Bucket1"}, "stack-bucket1"},
		{"bucket arn", map[string]any{"Fn::GetAtt": []any{"Bucket1", "Arn"}}, "arn:aws:s3:::stack-bucket1"},
		{"key arn", map[string]any{"Fn::GetAtt": []any{"Key1", "Arn"}}, "arn:aws:kms:ap-northeast-1:111122223333:key/" + KeyID("Key1")},
		{"role arn", map[string]any{"Fn::GetAtt": []any{"Role1", "Arn"}}, "arn:aws:iam::111122223333:role/stack-role1"},
		{"state machine ref", map[string]any{"Ref": "Machine1"}, "arn:aws:states:ap-northeast-1:111122223333:stateMachine:stack-machine1"},
		{"pseudo parameters in a join", map[string]any{"Fn::Join": []any{":", []any{map[string]any{"Ref": "AWS::Partition"}, map[string]any{"Ref": "AWS::Region"}, map[string]any{"Ref": "AWS::AccountId"}}}}, "aws:ap-northeast-1:111122223333"},
		{"select of split", map[string]any{"Fn::Select": []any{6.0, map[string]any{"Fn::Split": []any{":", map[string]any{"Ref": "Machine1"}}}}}, "stack-machine1"},
		{"nested values", map[string]any{"a": []any{map[string]any{"Ref": "Bucket1"}, "x"}}, map[string]any{"a": []any{"stack-bucket1", "x"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := w.Resolve(tt.give)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	for _, bad := range []any{
		map[string]any{"Ref": "Missing"},
		map[string]any{"Fn::GetAtt": []any{"Bucket1", "Nope"}},
		map[string]any{"Fn::Select": []any{9.0, []any{"a"}}},
		map[string]any{"Fn::ImportValue": "x"},
	} {
		_, err := w.Resolve(bad)
		assert.Error(t, err, "%v", bad)
	}
}

func TestPlaceholders_keepReferencesReadable(t *testing.T) {
	got, err := Resolve(map[string]any{"Fn::Join": []any{"", []any{
		"arn:", map[string]any{"Ref": "AWS::Partition"}, ":s3:::", map[string]any{"Ref": "Bucket"}, "/",
		map[string]any{"Fn::GetAtt": []any{"Key", "Arn"}},
	}}}, Placeholders{}, "", true)
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:s3:::${Bucket}/${Key.Arn}", got)
	sel, err := Resolve(map[string]any{"Fn::Select": []any{1.0, map[string]any{"Ref": "X"}}}, Placeholders{}, "", true)
	require.NoError(t, err)
	assert.Equal(t, "${Select[1] of ${X}}", sel)
}
