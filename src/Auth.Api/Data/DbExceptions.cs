using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Auth.Api.Data;

internal static class DbExceptions
{
    /// <summary>True when saving failed because a unique index (named or any) already holds the value.</summary>
    public static bool IsUniqueViolation(this DbUpdateException exception, string? constraint = null) =>
        exception.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } postgres
        && (constraint is null || postgres.ConstraintName == constraint);
}
