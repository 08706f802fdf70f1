using DropSync.Core.Model;
using DropSync.Core.Ports;
using static DropSync.Aws.DynamoDb.EntryCodec;

namespace DropSync.Aws.DynamoDb;

/// <summary>How a batch's writes group per path (slots) before they become transaction items.</summary>
public sealed partial class DynamoDbFileMetadataStore
{
    private sealed record ItemRole(Slot? Slot, int WriteIndex);

    /// <summary>All writes of a batch to one path: the table-facing expectations (in write order) and the final entry, if any.</summary>
    private sealed class Slot(string namespaceId, string pathKey)
    {
        public string NamespaceId { get; } = namespaceId;

        public string PathKey { get; } = pathKey;

        public List<(int Index, EntryExpectation Expected)> TableExpectations { get; } = [];

        public FileEntry? Put { get; set; }
    }

    private sealed class BatchPlan
    {
        public List<Slot> Slots { get; } = [];

        public List<(int Index, FileRevision Revision)> Revisions { get; } = [];

        public List<(int Index, ChangeRecord Change)> Appends { get; } = [];

        public List<string> Namespaces { get; } = [];

        public List<(int Index, MetadataWrite Write)> Sharing { get; } = [];

        public List<(int Index, MetadataWrite.MoveLink Move)> Links { get; } = [];

        public int? LocalFailure { get; private set; }

        public static BatchPlan Create(IReadOnlyList<MetadataWrite> writes)
        {
            var plan = new BatchPlan();
            var slots = new Dictionary<(string, string), Slot>();
            var namespaces = new HashSet<string>(StringComparer.Ordinal);

            Slot SlotOf(string ns, string key)
            {
                if (!slots.TryGetValue((ns, key), out var slot))
                {
                    slot = new Slot(ns, key);
                    slots[(ns, key)] = slot;
                    plan.Slots.Add(slot);
                    if (namespaces.Add(ns))
                    {
                        plan.Namespaces.Add(ns);
                    }
                }

                return slot;
            }

            for (var i = 0; i < writes.Count; i++)
            {
                switch (writes[i])
                {
                    case MetadataWrite.PutEntry put:
                        {
                            var slot = SlotOf(put.Entry.NamespaceId, put.Entry.PathKey);
                            if (slot.Put is not null)
                            {
                                if (!Holds(put.Expected, slot.Put))
                                {
                                    plan.LocalFailure = i;
                                    return plan;
                                }
                            }
                            else
                            {
                                slot.TableExpectations.Add((i, put.Expected));
                            }

                            slot.Put = put.Entry;
                            break;
                        }

                    case MetadataWrite.CheckEntry check:
                        {
                            var slot = SlotOf(check.NamespaceId, check.PathKey);
                            if (slot.Put is not null)
                            {
                                if (!Holds(check.Expected, slot.Put))
                                {
                                    plan.LocalFailure = i;
                                    return plan;
                                }
                            }
                            else
                            {
                                slot.TableExpectations.Add((i, check.Expected));
                            }

                            break;
                        }

                    case MetadataWrite.AddRevision add:
                        plan.Revisions.Add((i, add.Revision));
                        break;
                    case MetadataWrite.AppendChange append:
                        plan.Appends.Add((i, append.Change));
                        if (namespaces.Add(append.Change.NamespaceId))
                        {
                            plan.Namespaces.Add(append.Change.NamespaceId);
                        }

                        break;
                    case MetadataWrite.MoveLink move:
                        plan.Links.Add((i, move));
                        break;
                    case MetadataWrite.PutShare or MetadataWrite.DeleteShare or MetadataWrite.PutMember or MetadataWrite.DeleteMember:
                        plan.Sharing.Add((i, writes[i]));
                        break;
                    default:
                        throw new ArgumentOutOfRangeException(nameof(writes), writes[i], "Unknown metadata write.");
                }
            }

            return plan;
        }
    }
}
