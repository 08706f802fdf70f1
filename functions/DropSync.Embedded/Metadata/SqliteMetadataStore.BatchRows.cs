using System.Globalization;
using Microsoft.Data.Sqlite;

namespace DropSync.Embedded.Metadata;

/// <summary>Rows of one table written one prepared statement run at a time (<see cref="RowInsert"/>).</summary>
public sealed partial class SqliteMetadataStore
{
    /// <summary>
    /// An INSERT of one row, prepared once on the writer connection and run for each row in the order given, so an upsert
    /// of a key that an earlier row wrote sees that row. Why not one statement of many rows: measured, it cost the writer
    /// thread more (Microsoft.Data.Sqlite binds each named parameter by a lookup of its name, and a 32-row statement has
    /// hundreds of them), not less.
    /// </summary>
    private sealed class RowInsert(string head, int columns, string tail) : IDisposable
    {
        private SqliteCommand? _command;

        /// <summary>Writes <paramref name="rows"/> (each exactly the table's columns, in order) in <paramref name="transaction"/>.</summary>
        public void Insert(SqliteTransaction transaction, IReadOnlyList<object?[]> rows)
        {
            if (rows.Count == 0)
            {
                return;
            }

            var command = For(transaction);
            var parameters = command.Parameters;
            foreach (var values in rows)
            {
                for (var column = 0; column < columns; column++)
                {
                    parameters[column].Value = values[column] ?? DBNull.Value;
                }

                command.ExecuteNonQuery();
            }
        }

        public void Dispose() => _command?.Dispose();

        private SqliteCommand For(SqliteTransaction transaction)
        {
            if (_command is not null)
            {
                _command.Transaction = transaction;
                return _command;
            }

            var names = Enumerable.Range(0, columns).Select(column => "$p" + column.ToString(CultureInfo.InvariantCulture)).ToArray();
            _command = transaction.Prepare($"{head} VALUES ({string.Join(", ", names)}) {tail};", names);
            return _command;
        }
    }
}
