// An action an NPC asked the game to perform, and the way to tell it how that went.
using Worldsmith.V1;

namespace Worldsmith
{
    public sealed class NpcAction
    {
        readonly NpcConversation conversation;

        public ActionCall Call { get; }
        public string Name => Call.Name;
        /// <summary>Arguments as JSON, already valid against the action's schema.</summary>
        public string ArgumentsJson => Call.ArgumentsJson;

        internal NpcAction(NpcConversation conversation, ActionCall call)
        {
            this.conversation = conversation;
            Call = call;
        }

        /// <summary>Tells the NPC the action happened; it reacts in a new turn.</summary>
        public void Succeed(string resultJson = "{}") => conversation.ReportActionResult(this, true, resultJson);

        /// <summary>Tells the NPC the action did not happen and why, e.g. "the player's bag is full".</summary>
        public void Fail(string reason) => conversation.ReportActionResult(this, false, reason);
    }
}
