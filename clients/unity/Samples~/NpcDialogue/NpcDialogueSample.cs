// Sample: type to a blacksmith NPC; its words stream into a speech bubble and it can give you items.
using System.Collections.Generic;
using UnityEngine;
using UnityEngine.UI;
using Worldsmith;
using Worldsmith.V1;

public sealed class NpcDialogueSample : MonoBehaviour
{
    public NpcConversation npc;
    public InputField input;
    public Text bubble;
    public Text emotionLabel;
    public Text inventoryLabel;

    readonly List<string> inventory = new List<string>();

    async void Start()
    {
        // Store the character once; UpsertCharacter is idempotent, so running the sample again is fine.
        await npc.settings.Client.Dialogue.UpsertCharacterAsync(new UpsertCharacterRequest { Character = Blacksmith() });
        npc.characterId = "blacksmith";

        input.onSubmit.AddListener(OnSubmit);
        npc.onTextDelta.AddListener(text => bubble.text += text);
        npc.onEmotion.AddListener(emotion => emotionLabel.text = emotion);
        npc.onAction.AddListener(OnAction);
        npc.onTurnCompleted.AddListener(turn => Debug.Log($"Blacksmith: {turn.Text} ({turn.Reason}, {turn.CompletionTokens} tokens)"));
        npc.onError.AddListener(error => bubble.text = $"<color=red>{error}</color>");
    }

    void OnSubmit(string utterance)
    {
        if (string.IsNullOrWhiteSpace(utterance)) return;
        bubble.text = "";
        input.text = "";
        npc.Say(utterance);
    }

    void OnAction(NpcAction action)
    {
        if (action.Name != "give_item")
        {
            action.Fail($"this game has no action {action.Name}");
            return;
        }
        var item = JsonUtility.FromJson<GiveItemArguments>(action.ArgumentsJson).item;
        if (inventory.Count >= 5)
        {
            action.Fail("the player's bag is full");
            return;
        }
        inventory.Add(item);
        inventoryLabel.text = string.Join(", ", inventory);
        action.Succeed($"{{\"received\": \"{item}\"}}");
    }

    [System.Serializable]
    sealed class GiveItemArguments
    {
        public string item;
    }

    static Character Blacksmith() => new Character
    {
        Id = "blacksmith",
        Name = "Brenna",
        Role = "village blacksmith",
        Backstory = "Forged blades for the old king's guard before settling in Millbrook.",
        PersonalityTraits = { "gruff", "generous", "proud of her work" },
        SpeakingStyle = "short sentences, smithing metaphors",
        Emotions = { "neutral", "happy", "annoyed" },
        Actions =
        {
            new ActionSpec
            {
                Name = "give_item",
                Description = "Hand the player an item from the forge.",
                ArgumentsSchemaJson = "{\"type\":\"object\",\"properties\":{\"item\":{\"type\":\"string\"}},\"required\":[\"item\"]}",
            },
        },
        ContentRating = ContentRating.Everyone,
        Language = "en",
    };
}
