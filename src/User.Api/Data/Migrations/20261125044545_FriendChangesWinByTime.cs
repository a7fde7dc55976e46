using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace User.Api.Data.Migrations
{
    /// <inheritdoc />
    public partial class FriendChangesWinByTime : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "changed_at",
                table: "friend_edges",
                type: "timestamp with time zone",
                nullable: false,
                // Rows from before carry no time: any later change of the pair wins over them.
                defaultValue: DateTimeOffset.UnixEpoch);

            migrationBuilder.AddColumn<bool>(
                name: "is_friend",
                table: "friend_edges",
                type: "boolean",
                nullable: false,
                // Every row until now was a friendship in force (a removal deleted its rows).
                defaultValue: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "changed_at",
                table: "friend_edges");

            migrationBuilder.DropColumn(
                name: "is_friend",
                table: "friend_edges");
        }
    }
}
