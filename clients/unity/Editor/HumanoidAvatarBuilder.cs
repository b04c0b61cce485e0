// Builds a Mecanim Humanoid avatar for an imported avatar GLB from the server's bone-map sidecar.
using System;
using System.Collections.Generic;
using UnityEditor;
using UnityEngine;

namespace Worldsmith.Editor
{
    /// <summary>
    /// Reads AvatarResult.unity_human_description_json:
    /// <c>{"human": [{"boneName": "hips", "humanName": "Hips"}, ...], "armStretch": 0.05, ...}</c>
    /// (the fields of UnityEngine.HumanDescription by name), takes the skeleton's rest pose from the
    /// imported hierarchy, and saves the avatar and a prefab whose Animator uses it.
    /// </summary>
    static class HumanoidAvatarBuilder
    {
        [Serializable]
        sealed class BoneMapping
        {
            public string boneName;
            public string humanName;
        }

        [Serializable]
        sealed class Sidecar
        {
            public BoneMapping[] human = Array.Empty<BoneMapping>();
            public float upperArmTwist = 0.5f;
            public float lowerArmTwist = 0.5f;
            public float upperLegTwist = 0.5f;
            public float lowerLegTwist = 0.5f;
            public float armStretch = 0.05f;
            public float legStretch = 0.05f;
            public float feetSpacing;
            public bool hasTranslationDoF;
        }

        public static GameObject BuildPrefab(GameObject model, string sidecarJson, string folder)
        {
            var sidecar = JsonUtility.FromJson<Sidecar>(sidecarJson);
            var instance = (GameObject)PrefabUtility.InstantiatePrefab(model);
            try
            {
                var description = new HumanDescription
                {
                    human = ToHumanBones(sidecar.human),
                    skeleton = RestPose(instance.transform),
                    upperArmTwist = sidecar.upperArmTwist,
                    lowerArmTwist = sidecar.lowerArmTwist,
                    upperLegTwist = sidecar.upperLegTwist,
                    lowerLegTwist = sidecar.lowerLegTwist,
                    armStretch = sidecar.armStretch,
                    legStretch = sidecar.legStretch,
                    feetSpacing = sidecar.feetSpacing,
                    hasTranslationDoF = sidecar.hasTranslationDoF,
                };
                var avatar = AvatarBuilder.BuildHumanAvatar(instance, description);
                if (!avatar.isValid || !avatar.isHuman)
                    throw new InvalidOperationException(
                        "The bone map does not make a valid Humanoid avatar; check that every required bone " +
                        "(Hips, Spine, Head, both arms and legs) is mapped in unity_human_description.json.");
                avatar.name = "avatar";
                AssetDatabase.CreateAsset(avatar, $"{folder}/avatar.asset");

                var animator = instance.GetComponent<Animator>();
                if (animator == null) animator = instance.AddComponent<Animator>();
                animator.avatar = avatar;
                return PrefabUtility.SaveAsPrefabAsset(instance, $"{folder}/avatar.prefab");
            }
            finally
            {
                UnityEngine.Object.DestroyImmediate(instance);
            }
        }

        static HumanBone[] ToHumanBones(BoneMapping[] mappings)
        {
            var bones = new HumanBone[mappings.Length];
            for (var i = 0; i < mappings.Length; i++)
            {
                bones[i] = new HumanBone
                {
                    boneName = mappings[i].boneName,
                    humanName = mappings[i].humanName,
                    limit = new HumanLimit { useDefaultValues = true },
                };
            }
            return bones;
        }

        // Every transform of the hierarchy in its imported (bind) pose, root first.
        static SkeletonBone[] RestPose(Transform root)
        {
            var bones = new List<SkeletonBone>();
            foreach (var transform in root.GetComponentsInChildren<Transform>(true))
            {
                bones.Add(new SkeletonBone
                {
                    name = transform.name,
                    position = transform.localPosition,
                    rotation = transform.localRotation,
                    scale = transform.localScale,
                });
            }
            return bones.ToArray();
        }
    }
}
