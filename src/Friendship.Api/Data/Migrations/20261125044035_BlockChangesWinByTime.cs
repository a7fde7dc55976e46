using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Friendship.Api.Data.Migrations
{
    /// <inheritdoc />
    public partial class BlockChangesWinByTime : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.RenameColumn(
                name: "blocked_at",
                table: "blocks",
                newName: "changed_at");

            migrationBuilder.AddColumn<bool>(
                name: "is_blocked",
                table: "blocks",
                type: "boolean",
                nullable: false,
                // Every row until now was a block in force (an unblock deleted its row).
                defaultValue: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "is_blocked",
                table: "blocks");

            migrationBuilder.RenameColumn(
                name: "changed_at",
                table: "blocks",
                newName: "blocked_at");
        }
    }
}
