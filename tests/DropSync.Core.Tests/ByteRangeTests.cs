using DropSync.Core.Content;
using DropSync.Core.Errors;

namespace DropSync.Core.Tests;

public class ByteRangeTests
{
    [Theory]
    [InlineData("bytes=0-9", 100, 0, 10, "bytes 0-9/100")]
    [InlineData("bytes=90-", 100, 90, 10, "bytes 90-99/100")]
    [InlineData("bytes=-10", 100, 90, 10, "bytes 90-99/100")]
    [InlineData("bytes=-500", 100, 0, 100, "bytes 0-99/100")]
    [InlineData("bytes=50-500", 100, 50, 50, "bytes 50-99/100")]
    [InlineData("BYTES=99-99", 100, 99, 1, "bytes 99-99/100")]
    public void A_single_byte_range_is_the_part_of_the_file_it_names(string header, long length, long from, long count, string contentRange)
    {
        var range = ByteRange.Of(header, length);

        Assert.Equal(new ByteRange(from, count, length), range);
        Assert.Equal(contentRange, range!.Value.ContentRange);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("items=0-9")]
    [InlineData("bytes=0-9,20-29")]
    [InlineData("bytes=nonsense")]
    public void No_single_byte_range_answers_the_whole_file(string? header) => Assert.Null(ByteRange.Of(header, 100));

    [Theory]
    [InlineData("bytes=100-", 100)]
    [InlineData("bytes=200-300", 100)]
    [InlineData("bytes=0-", 0)]
    [InlineData("bytes=-0", 100)]
    public void A_range_outside_the_file_is_range_not_satisfiable(string header, long length)
    {
        var error = Assert.Throws<DropSyncException>(() => ByteRange.Of(header, length));

        Assert.Equal(ErrorCodes.RangeNotSatisfiable, error.Code);
        Assert.Equal(ErrorKind.RangeNotSatisfiable, error.Kind);
        Assert.Equal("bytes */100", ByteRange.UnsatisfiableContentRange(100));
    }
}
