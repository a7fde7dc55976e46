using System.ComponentModel.DataAnnotations;

namespace Friendship.Api.Users;

/// <summary>Where the User service is and how long a lookup may take (section <c>Services</c>).</summary>
public sealed class UserServiceOptions : IValidatableObject
{
    public const string SectionName = "Services";

    /// <summary>The User service's base URL; the app host sets it.</summary>
    [Required]
    public string User { get; set; } = "http://localhost:5102";

    /// <summary>One try; the lookup is retried (it is a GET) within <see cref="UserTotalTimeout"/>.</summary>
    public TimeSpan UserAttemptTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The most a request of ours waits for User before answering 503.</summary>
    public TimeSpan UserTotalTimeout { get; set; } = TimeSpan.FromSeconds(5);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Uri.TryCreate(User, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            yield return new ValidationResult($"Services:User is '{User}'; set it to the User service's base URL, such as http://localhost:5102.");
        }

        if (UserAttemptTimeout <= TimeSpan.Zero || UserTotalTimeout <= UserAttemptTimeout)
        {
            yield return new ValidationResult("Services:UserAttemptTimeout must be positive and less than Services:UserTotalTimeout.");
        }
    }
}
