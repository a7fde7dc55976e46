using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace User.Api.Data.Migrations
{
    /// <inheritdoc />
    public partial class SearchPrefixIndexesInByteOrder : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_profiles_search_name_prefix",
                table: "profiles");

            migrationBuilder.DropIndex(
                name: "ix_profiles_username_prefix",
                table: "profiles");

            migrationBuilder.CreateIndex(
                name: "ix_profiles_search_name_prefix",
                table: "profiles",
                columns: new[] { "search_name", "user_id" })
                .Annotation("Relational:Collation", new[] { "C", null });

            migrationBuilder.CreateIndex(
                name: "ix_profiles_username_prefix",
                table: "profiles",
                column: "username")
                .Annotation("Relational:Collation", new[] { "C" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_profiles_search_name_prefix",
                table: "profiles");

            migrationBuilder.DropIndex(
                name: "ix_profiles_username_prefix",
                table: "profiles");

            migrationBuilder.CreateIndex(
                name: "ix_profiles_search_name_prefix",
                table: "profiles",
                column: "search_name")
                .Annotation("Npgsql:IndexOperators", new[] { "text_pattern_ops" });

            migrationBuilder.CreateIndex(
                name: "ix_profiles_username_prefix",
                table: "profiles",
                column: "username")
                .Annotation("Npgsql:IndexOperators", new[] { "text_pattern_ops" });
        }
    }
}
