// What every worldsmith editor window shares: the settings asset, output folders, file names.
using System.IO;
using System.Text;
using UnityEditor;
using UnityEngine;

namespace Worldsmith.Editor
{
    static class WorldsmithEditorUtility
    {
        public const string SettingsPath = "Assets/Worldsmith/WorldsmithSettings.asset";

        /// <summary>The project's settings asset, created with defaults on first use.</summary>
        public static WorldsmithSettings FindOrCreateSettings()
        {
            foreach (var guid in AssetDatabase.FindAssets("t:" + nameof(WorldsmithSettings)))
            {
                var found = AssetDatabase.LoadAssetAtPath<WorldsmithSettings>(AssetDatabase.GUIDToAssetPath(guid));
                if (found != null) return found;
            }
            EnsureFolder(Path.GetDirectoryName(SettingsPath));
            var settings = ScriptableObject.CreateInstance<WorldsmithSettings>();
            AssetDatabase.CreateAsset(settings, SettingsPath);
            AssetDatabase.SaveAssets();
            return settings;
        }

        /// <summary>Creates an asset folder and its parents ("Assets/Worldsmith/Textures").</summary>
        public static string EnsureFolder(string path)
        {
            path = path.Replace('\\', '/');
            if (AssetDatabase.IsValidFolder(path)) return path;
            var parent = Path.GetDirectoryName(path).Replace('\\', '/');
            EnsureFolder(parent);
            AssetDatabase.CreateFolder(parent, Path.GetFileName(path));
            return path;
        }

        /// <summary>A short file-system-safe name from a prompt: "Mossy cobblestones!" -> "mossy-cobblestones".</summary>
        public static string Slug(string text, int maxLength = 32)
        {
            var slug = new StringBuilder();
            foreach (var c in (text ?? "").ToLowerInvariant())
            {
                if (char.IsLetterOrDigit(c)) slug.Append(c);
                else if (slug.Length > 0 && slug[slug.Length - 1] != '-') slug.Append('-');
                if (slug.Length >= maxLength) break;
            }
            var result = slug.ToString().Trim('-');
            return result.Length > 0 ? result : "untitled";
        }

        /// <summary>The settings field shown at the top of each window.</summary>
        public static WorldsmithSettings SettingsField(WorldsmithSettings settings)
        {
            settings = (WorldsmithSettings)EditorGUILayout.ObjectField("Server", settings, typeof(WorldsmithSettings), false);
            if (settings == null) settings = FindOrCreateSettings();
            return settings;
        }
    }
}
