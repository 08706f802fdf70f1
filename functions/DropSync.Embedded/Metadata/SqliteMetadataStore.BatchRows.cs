using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;

namespace DropSync.Embedded.Metadata;

/// <summary>Rows of one table written many at a time (<see cref="MultiRowInsert"/>).</summary>
public sealed partial class SqliteMetadataStore
{
    /// <summary>
    /// One INSERT of many rows into a table: rows go in chunks of <see cref="LargeChunk"/>, then <see cref="SmallChunk"/>,
    /// then one at a time, each chunk size one statement prepared once on the writer connection and kept. Rows are written
    /// in the order given, so an upsert of a key that an earlier row of the same call wrote sees that row, as one statement
    /// per row would. Why: the writer's time went into running about nine statements per file (each a bind, a step and a
    /// reset through Microsoft.Data.Sqlite); a statement of 32 rows costs little more to run than one of a single row.
    /// </summary>
    private sealed class MultiRowInsert(string head, int columns, string tail) : IDisposable
    {
        private const int LargeChunk = 32;
        private const int SmallChunk = 8;
        private readonly Dictionary<int, SqliteCommand> _byRows = [];

        /// <summary>Writes <paramref name="rows"/> (each exactly the table's columns, in order) in <paramref name="transaction"/>.</summary>
        public void Insert(SqliteTransaction transaction, IReadOnlyList<object?[]> rows)
        {
            var at = 0;
            foreach (var size in (ReadOnlySpan<int>)[LargeChunk, SmallChunk, 1])
            {
                for (; rows.Count - at >= size; at += size)
                {
                    var command = For(transaction, size);
                    var parameters = command.Parameters;
                    for (var row = 0; row < size; row++)
                    {
                        var values = rows[at + row];
                        for (var column = 0; column < columns; column++)
                        {
                            parameters[(row * columns) + column].Value = values[column] ?? DBNull.Value;
                        }
                    }

                    command.ExecuteNonQuery();
                }
            }
        }

        public void Dispose()
        {
            foreach (var command in _byRows.Values)
            {
                command.Dispose();
            }
        }

        private SqliteCommand For(SqliteTransaction transaction, int rows)
        {
            if (_byRows.TryGetValue(rows, out var command))
            {
                command.Transaction = transaction;
                return command;
            }

            var sql = new StringBuilder(head).Append(" VALUES ");
            var names = new string[rows * columns];
            for (var row = 0; row < rows; row++)
            {
                sql.Append(row == 0 ? "(" : ", (");
                for (var column = 0; column < columns; column++)
                {
                    var name = "$p" + ((row * columns) + column).ToString(CultureInfo.InvariantCulture);
                    names[(row * columns) + column] = name;
                    sql.Append(column == 0 ? "" : ", ").Append(name);
                }

                sql.Append(')');
            }

            command = transaction.Prepare(sql.Append(' ').Append(tail).Append(';').ToString(), names);
            _byRows[rows] = command;
            return command;
        }
    }
}
